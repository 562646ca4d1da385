"""API load benchmark: link and triage requests/s from concurrent clients against a real `kgqa serve`.

    .venv/bin/python -m bench.bench_api                       # HPO graph, 8 clients, 1 and 2 workers
    .venv/bin/python -m bench.bench_api --store sqlite:///var/kg.sqlite --workers 1 --requests 3000

The server runs in its own process on a loopback port (rate limit off, a reader key from KGQA_API_KEYS);
the clients are one asyncio process with `--concurrency` connections (httpx). Each endpoint gets a warm-up,
then `--requests` requests or `--seconds`, whichever ends first. Reported per endpoint: requests/s,
latency p50/p95/p99/max, non-2xx and failed requests. Baseline measured in the same run: GET /healthz
(the HTTP stack, auth-free, no work) and GET /v1/kg/version (auth, thread pool, one store read), so the
cost of linking and triage shows apart from the server's overhead. Results: bench/results/api.md.

The input texts are written for this benchmark (everyday phrasings); none comes from an evaluation set.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine  # noqa: E402
from tests.api.live_server import LiveServer  # noqa: E402

KEY = "bench-reader-key-0123456789"

# Texts are composed from these parts (seeded), so requests are all different, as in real traffic:
# a benchmark that cycles a dozen texts would mostly measure the linker's in-memory memo of n-gram vectors.
OPENERS = ["I have", "my son has", "she's had", "for two days I've had", "since yesterday I get", "he keeps getting",
           "I think I have", "my mum has"]
COMPLAINTS = ["a fever", "a bad headache", "chest pain when I breathe", "stomach cramps", "a sore throat",
              "a runny nose", "swollen ankles", "itchy eyes", "a rash on my arms", "back pain", "blurred vision",
              "ringing in the ears", "a dry cough", "diarrhoea", "pain when I pee", "numb fingers", "a stiff neck",
              "night sweats", "dizzy spells", "trouble sleeping"]
TAILS = ["", " and I feel tired", " since Monday", " after eating", " at night", " for a week",
         " that gets worse when I walk", ", no fever"]


def compose_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < n:
        a, b = rng.sample(COMPLAINTS, 2)
        seen[f"{rng.choice(OPENERS)} {a} and {b}{rng.choice(TAILS)}"] = None
    return list(seen)


@dataclass
class Phase:
    name: str
    method: str
    path: str
    bodies: list = field(default_factory=list)   # JSON bodies (cycled) for POST; empty for GET
    auth: bool = True


@dataclass
class PhaseResult:
    name: str
    workers: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    non_2xx: int
    failed: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(round(q * (len(data) - 1))))]


async def run_phase(base_url: str, phase: Phase, concurrency: int, n_requests: int, max_seconds: float,
                    warmup: int, workers: int) -> PhaseResult:
    headers = {"X-API-Key": KEY} if phase.auth else {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60) as client:
        async def one(i: int) -> tuple[float, int]:
            started = time.perf_counter()
            if phase.method == "POST":
                r = await client.post(phase.path, json=phase.bodies[i % len(phase.bodies)])
            else:
                r = await client.get(phase.path)
            return (time.perf_counter() - started) * 1000, r.status_code

        for i in range(warmup):  # on the last bodies: the measured requests start from the first
            try:
                await one(len(phase.bodies) - 1 - i if phase.bodies else i)
            except httpx.HTTPError:
                pass  # counted below if it keeps happening
        latencies: list[float] = []
        counters = {"next": 0, "non_2xx": 0, "failed": 0}
        deadline = time.perf_counter() + max_seconds

        async def client_loop() -> None:
            while counters["next"] < n_requests and time.perf_counter() < deadline:
                i = counters["next"]
                counters["next"] += 1
                try:
                    ms, status = await one(i)
                except httpx.HTTPError:
                    counters["failed"] += 1
                    continue
                latencies.append(ms)
                if not 200 <= status < 300:
                    counters["non_2xx"] += 1

        started = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return PhaseResult(phase.name, workers, len(latencies) + counters["failed"], elapsed, latencies,
                       counters["non_2xx"], counters["failed"])


def ensure_graph(store: str | None, folder: Path) -> str:
    if store:
        return store
    target = folder / "hpo.sqlite"
    if not target.is_file():
        print(f"building the HPO graph into {target} (once)", file=sys.stderr)
        from kgqa.build import build_graph
        build_graph(f"sqlite:///{target}", sources_dir=None, only=["hpo"], progress=False)
    return f"sqlite:///{target}"


def in_process_baseline(store: str, home: Path, max_seconds: float, n: int = 200,
                        reader=None) -> list[PhaseResult]:
    """Link and triage calls without HTTP: one thread calling the components directly on new texts. `reader`:
    a loaded learned urgency reader (UrgencyModel) to time triage with as well."""
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    ctx = KGContext(load_settings(config_file="/nonexistent", home=str(home), store=store, urgency_model="off"))
    calls = [("linker.link (in-process, no HTTP)", lambda t: ctx.linker.link(t), 3),
             ("triager.triage (in-process, no HTTP)", lambda t: ctx.triager.triage(t), 4)]
    if reader is not None:
        calls.append((f"triager.triage with the reader, {reader.backend} (in-process, no HTTP)",
                      lambda t: _triage_with(ctx.triager, reader, t), 4))
    out = []
    for name, call, seed in calls:
        texts = compose_texts(n + 1, seed)
        call(texts[-1])  # loads the component and its lazy parts
        if name.startswith("linker"):
            ctx.linker.embedder.encode(["my tummy hurts"])
        latencies: list[float] = []
        started = time.perf_counter()
        for text in texts[:-1]:
            t0 = time.perf_counter()
            call(text)
            latencies.append((time.perf_counter() - t0) * 1000)
            if time.perf_counter() - started > max_seconds:
                break
        out.append(PhaseResult(name, 0, len(latencies), time.perf_counter() - started, latencies, 0, 0))
    ctx.close()
    return out


def _triage_with(triager, reader, text: str):
    triager.urgency_model = reader
    try:
        return triager.triage(text)
    finally:
        triager.urgency_model = None


def write_markdown(path: Path, results: list[PhaseResult], info: dict, args, store: str, load: tuple) -> None:
    lines = [
        "## HTTP API (`python -m bench.bench_api`)",
        "",
        f"Machine: {machine()}. "
        f"Load average when the run started: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min): "
        "other engineers were running builds and tests on the same machine during this run, so absolute "
        "figures are lower bounds.",
        "",
        f"Graph: `{info.get('graph', store)}` (version {info.get('version', '?')}). Server: `kgqa serve` on "
        f"127.0.0.1, {args.threads} threads per worker, rate limit off; the load generator (one asyncio "
        f"process, httpx, {args.concurrency} concurrent connections) shares the same CPUs. Up to "
        f"{args.requests} requests or {args.seconds:g} s per row after {args.warmup} warm-up requests.",
        "",
        "| endpoint | workers | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | non-2xx | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        workers = "-" if r.workers == 0 else r.workers
        lines.append(f"| {r.name} | {workers} | {r.requests} | {r.rps:.0f} | {r.pct(0.5):.1f} | {r.pct(0.95):.1f} | "
                     f"{r.pct(0.99):.1f} | {max(r.latencies_ms, default=float('nan')):.1f} | {r.non_2xx} | {r.failed} |")
    lines += ["", "Baselines: `GET /healthz` is the HTTP stack alone (no key, no work); `GET /v1/kg/version` adds "
              "key check, rate-limit bookkeeping, the thread pool and one store read. The in-process rows call the "
              "linker and triager directly, one call at a time from one thread (no HTTP, no concurrency): the "
              "latency of the work itself; the server overlaps calls in its threads (the model and numpy release "
              "the GIL), so its throughput can exceed 1/latency. Every request and call gets a text of its own "
              "(composed from lay phrases with a fixed seed; the in-process rows use other texts), as in real "
              "traffic: cycling a few texts would mostly measure the linker's in-memory memo of n-gram vectors. The "
              "texts still share many n-grams (\"a bad headache\"), as real traffic does, so the memo helps; the "
              "rows marked \"memo off\" run a server with the memo disabled (KGQA_EMBEDDING_MEMO=0), where every "
              "n-gram of every request is encoded: the worst case. Triage rows run the red-flag rules alone "
              "(KGQA_URGENCY_MODEL=off) except the row marked \"learned urgency reader\" (`--urgency-model`), "
              "whose server also runs the fine-tuned urgency model on every text (its encoder in ONNX Runtime, "
              "int8 or float as named: the default KGQA_URGENCY_PRECISION=int8 uses the int8 copy when it passed "
              "its check). Target (DESIGN.md): at least 100 link or triage requests/s on 2 cores with no errors.",
              ""]
    for r in results:
        if r.name.startswith(("POST /v1/link", "POST /v1/triage")):
            verdict = "meets" if r.rps >= 100 and r.non_2xx == 0 and r.failed == 0 else "misses"
            lines.append(f"- {r.name}, {r.workers} worker(s): {r.rps:.0f} req/s, {r.non_2xx + r.failed} errors: "
                         f"{verdict} the target.")
    lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", help="store URL (default: the HPO graph, built once into .cache/bench-api)")
    p.add_argument("--home", default=str(REPO / ".cache" / "test-home"),
                   help="KGQA_HOME of the server: its embedding cache (keyed by model and graph version, so "
                        "sharing the tests' cache is safe and saves embedding every name again)")
    p.add_argument("--workers", default="1,2", help="server worker counts to measure, comma-separated (default 1,2)")
    p.add_argument("--memo-off-workers", default="1",
                   help="worker counts to measure again with the n-gram vector memo off (KGQA_EMBEDDING_MEMO=0): "
                        "every n-gram encoded afresh, the worst case of the cache (default 1; '' for none)")
    p.add_argument("--urgency-model", metavar="FOLDER",
                   help="also measure POST /v1/triage (with each --workers count) with this learned urgency reader "
                        "(`kgqa triage-model train`); every other row runs the red-flag rules alone")
    p.add_argument("--threads", type=int, default=4, help="server threads per worker (KGQA_API_THREADS)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--requests", type=int, default=2000, help="requests per endpoint and worker count")
    p.add_argument("--seconds", type=float, default=30, help="time cap per endpoint and worker count")
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--out", default=str(REPO / "bench" / "results" / "api.md"))
    args = p.parse_args(argv)

    folder = REPO / ".cache" / "bench-api"
    folder.mkdir(parents=True, exist_ok=True)
    home = Path(args.home)
    store = ensure_graph(args.store, folder)
    # One text per request, warm-up included: measured requests are all new to the server.
    link_texts = compose_texts(args.requests + args.warmup, seed=1)
    triage_texts = compose_texts(args.requests + args.warmup, seed=2)
    phases = [
        Phase("GET /healthz (baseline)", "GET", "/healthz", auth=False),
        Phase("GET /v1/kg/version (baseline)", "GET", "/v1/kg/version"),
        Phase("POST /v1/link", "POST", "/v1/link", [{"text": t} for t in link_texts]),
        Phase("POST /v1/triage", "POST", "/v1/triage", [{"text": t} for t in triage_texts]),
    ]
    load = os.getloadavg()
    results: list[PhaseResult] = []
    info: dict = {}
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    configs = [(w, True, None) for w in worker_counts]
    configs += [(int(w), False, None) for w in args.memo_off_workers.split(",") if w.strip()]
    reader_model = None
    if args.urgency_model:
        configs += [(w, True, str(Path(args.urgency_model).resolve())) for w in worker_counts]
        reader_model = _load_reader(args.urgency_model)
    for workers, memo, reader in configs:
        env = {"KGQA_API_KEYS": f"{KEY}:reader:bench", "KGQA_API_RATE": "0",
               "KGQA_API_THREADS": str(args.threads), "KGQA_API_KEY_FILE": str(folder / "no-keys.json"),
               "KGQA_URGENCY_MODEL": reader or "off"}
        if not memo:
            env["KGQA_EMBEDDING_MEMO"] = "0"
        log_path = Path(tempfile.mkstemp(prefix="bench-api-", suffix=".log")[1])
        server = LiveServer(store, home, log_path, env, workers=workers)
        try:
            print(f"starting {workers} worker(s) on {server.base_url} ...", file=sys.stderr)
            server.wait_ready(900)
            if workers > 1:  # /readyz answered by one worker: give the others time to load too
                _wait_all_workers(server.base_url, workers)
            version = httpx.get(server.base_url + "/v1/kg/version", headers={"X-API-Key": KEY}).json()
            info = {"graph": store.rsplit("/", 1)[-1], "version": version.get("version")}
            chosen = phases if memo else [p for p in phases if p.method == "POST"]
            if reader:
                chosen = [p for p in phases if p.path == "/v1/triage"]
            for phase in chosen:
                if not memo:
                    phase = Phase(phase.name + " (memo off)", phase.method, phase.path, phase.bodies, phase.auth)
                if reader:
                    phase = Phase(phase.name + f" (learned urgency reader, {reader_model.backend})", phase.method,
                                  phase.path, phase.bodies, phase.auth)
                r = asyncio.run(run_phase(server.base_url, phase, args.concurrency, args.requests, args.seconds,
                                          args.warmup, workers))
                results.append(r)
                print(f"{phase.name:32} workers={workers} {r.rps:7.0f} req/s  p50 {r.pct(0.5):6.1f} ms  "
                      f"p95 {r.pct(0.95):6.1f} ms  non-2xx {r.non_2xx}  failed {r.failed}", file=sys.stderr)
        finally:
            server.stop()
            if any(r.workers == workers and (r.non_2xx or r.failed) for r in results) or not results:
                print(f"server log kept in {log_path}", file=sys.stderr)
            else:
                log_path.unlink(missing_ok=True)
    print("in-process baseline ...", file=sys.stderr)
    for r in in_process_baseline(store, home, args.seconds, reader=reader_model):
        results.append(r)
        print(f"{r.name:38} {r.rps:7.0f} calls/s  p50 {r.pct(0.5):6.1f} ms  p95 {r.pct(0.95):6.1f} ms", file=sys.stderr)
    write_markdown(Path(args.out), results, info, args, store, load)
    print(f"wrote {args.out}", file=sys.stderr)
    bad = [r for r in results if r.non_2xx or r.failed]
    return 1 if bad else 0


def _load_reader(folder: str):
    """The reader loaded once, as the server loads it: its `backend` (onnx-int8, onnx-fp32 or torch) names the
    server's rows, and the in-process row times triage with it."""
    from qa.triage_urgency_model import UrgencyModel
    return UrgencyModel.load(Path(folder), precision=os.environ.get("KGQA_URGENCY_PRECISION", "int8"))


def _wait_all_workers(base_url: str, workers: int, timeout_s: float = 600) -> None:
    """Each worker answers /readyz for itself; wait until enough consecutive probes say ready."""
    deadline = time.monotonic() + timeout_s
    streak = 0
    while time.monotonic() < deadline and streak < 10 * workers:
        try:
            ok = httpx.get(base_url + "/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            ok = False
        streak = streak + 1 if ok else 0
        time.sleep(0.05 if ok else 0.5)


if __name__ == "__main__":
    sys.exit(main())
