"""The served app in a real browser: `streamlit run ui/app.py` on a free loopback port against the test
graph, driven by headless Chromium (Debian's chromium + chromium-driver, through selenium). It asks a
question, finds the answer and a citation with its provenance on the page, and saves a screenshot to
artifacts/ (gitignored)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_HOME
from tests.ui.conftest import APP

pytestmark = pytest.mark.browser

REPO = APP.parents[1]
ARTIFACTS = REPO / "artifacts"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,2000"]


def _tool(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def _need(tool: str | None, what: str) -> str:
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {what} (apt-get install -y chromium chromium-driver)")
        pytest.skip(f"{what} is not installed (apt-get install -y chromium chromium-driver)")
    return tool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"streamlit did not come up in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def served_app(hpo_graph, tmp_path_factory):
    """URL of `streamlit run ui/app.py` serving the HPO test graph (stopped after the module)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    TEST_HOME.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, KGQA_STORE=hpo_graph, KGQA_HOME=str(TEST_HOME), KGQA_LLM="none", KGQA_UI_WARMUP="0",
               KGQA_CONFIG="/nonexistent/kgqa.toml")
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser():
    chromium = _need(_tool("chromium", "chromium-browser", "google-chrome"), "chromium")
    driver_path = _need(_tool("chromedriver", "chromium-driver"), "chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kgqa-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_browser_asks_a_question_and_shows_the_answer_with_a_citation(served_app, browser, hpo_context):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    question = "What are the symptoms of Marfan syndrome?"
    expected = hpo_context.answerer.ask(question, llm="none")
    assert expected.citations, "the test question must be answerable on the HPO graph"
    first_fact = hpo_context.store.get_fact(expected.citations[0])

    wait = WebDriverWait(browser, 180)
    # the server's first request deep-links to an entity page: it must still run through ui/app.py
    # (its navigation with page titles, not Streamlit's folder-based one with file names)
    marfan = expected.entities[0]
    browser.get(f"{served_app}/explore?id={marfan.id}")
    wait.until(EC.presence_of_element_located((By.XPATH, f"//h2[normalize-space(.)='{marfan.name}']")))
    nav = browser.find_element(By.CSS_SELECTOR, "[data-testid='stSidebarNav']").text
    assert "Triage" in nav and "About" in nav and "app" not in nav.split()

    browser.get(served_app)
    box = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")))
    started = time.monotonic()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    # the first citation's expander appears once the answer is rendered
    summary = wait.until(EC.presence_of_element_located(
        (By.XPATH, "//details//summary[.//*[starts-with(normalize-space(.), '[1] ')]]")))
    answered_s = time.monotonic() - started
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Extractive answer" in page
    assert "[1]" in page
    assert "Understood:" in page
    # open the citation: the fact's provenance table names its source and license
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    source = first_fact.provenance[0]
    wait.until(lambda d: "license" in summary.find_element(By.XPATH, "./..").text)
    details = " ".join(summary.find_element(By.XPATH, "./..").text.split())
    assert source.source in details
    if source.license:   # the license's opening words (the rest may wrap around links in the table)
        assert " ".join(source.license.split()[:2]) in details, details
    time.sleep(1.5)  # let the evidence graph settle before the screenshot
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "ui-ask.png"
    # the app scrolls inside its main container: grow the window to its full height for the screenshot
    full = browser.execute_script(
        "return Math.max(...Array.from(document.querySelectorAll('section, div, body'), e => e.scrollHeight));")
    browser.set_window_size(1400, max(1400, min(6000, int(full) + 150)))
    time.sleep(1.0)
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    print(f"browser: answer with citations shown {answered_s:.1f} s after asking; screenshot {shot}")
