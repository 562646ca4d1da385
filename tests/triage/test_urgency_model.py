"""The learned urgency reader (qa/triage_urgency_model.py): its guard rails, real training and persistence,
its use inside triage, and its command line."""
from __future__ import annotations

import json

import pytest

from kgqa.cli import main
from qa.triage_eval import VIGNETTE_FILES, load_vignettes
from qa.triage_urgency import LEVELS, RedFlag
from qa.triage_urgency_augment import OPENERS
from qa.triage_urgency_model import (EMERGENCY_VETO, URGENT_VETO, TrainingRecipe, UrgencyModel, UrgencyModelError,
                                     combine_levels, is_current, load_configured, train_urgency_model,
                                     training_key, tuning_examples)


def _probs(**given: float) -> dict[str, float]:
    rest = (1.0 - sum(given.values())) / (len(LEVELS) - len(given))
    return {lvl: given.get(lvl.replace("-", "_"), rest) for lvl in LEVELS}


def _flag(level: str, complaint: bool = False) -> RedFlag:
    return RedFlag(rule="test", level=level, reason="test", complaint=complaint)


# ---- guard rails (pure logic) ---------------------------------------------------------------------------
def test_a_rules_emergency_holds_unless_the_model_is_sure():
    unsure = _probs(emergency=EMERGENCY_VETO, self_care=0.9)
    assert combine_levels("emergency", unsure, [_flag("emergency")]) == ("emergency", None)
    sure = _probs(emergency=EMERGENCY_VETO / 2, routine=0.95)
    level, why = combine_levels("emergency", sure, [_flag("emergency")])
    assert level == "routine" and "lowers" in why


def test_an_urgent_warning_sign_keeps_urgent_unless_the_model_is_sure():
    doubtful = _probs(urgent=URGENT_VETO, emergency=0.0, self_care=0.8)
    assert combine_levels("urgent", doubtful, [_flag("urgent")])[0] == "urgent"
    sure = _probs(urgent=URGENT_VETO / 4, emergency=0.0, self_care=0.9)
    assert combine_levels("urgent", sure, [_flag("urgent")])[0] == "self-care"
    # a rules emergency that the model reads as urgent stays an emergency: they differ only on how soon
    assert combine_levels("emergency", _probs(emergency=0.01, urgent=0.2, routine=0.7),
                          [_flag("emergency")]) == ("emergency", None)
    assert combine_levels("emergency", _probs(emergency=0.0, urgent=0.99), [_flag("emergency")]) == ("emergency", None)


def test_an_emergency_sign_is_never_sent_home():
    sure = {"self-care": 1.0, "routine": 0.0, "urgent": 0.0, "emergency": 0.0}
    assert combine_levels("emergency", sure, [_flag("emergency")])[0] == "routine"
    assert combine_levels("emergency", sure, [_flag("emergency"), _flag("emergency", complaint=True)])[0] == "routine"


def test_an_emergency_no_warning_sign_supports_holds():
    # the likely conditions (or a recognised complaint) call for emergency care: the reader cannot lower that
    sure = {"self-care": 1.0, "routine": 0.0, "urgent": 0.0, "emergency": 0.0}
    assert combine_levels("emergency", sure, []) == ("emergency", None)
    assert combine_levels("emergency", sure, [_flag("urgent"), _flag("emergency", complaint=True)]) == ("emergency", None)


def test_a_recognised_complaint_or_a_condition_vote_does_not_hold_the_level():
    probs = _probs(self_care=0.85, urgent=0.05)
    assert combine_levels("urgent", probs, [_flag("urgent", complaint=True)])[0] == "self-care"
    assert combine_levels("urgent", probs, [])[0] == "self-care"


def test_the_model_may_raise_any_level():
    level, why = combine_levels("self-care", _probs(emergency=0.7), [_flag("routine", complaint=True)])
    assert level == "emergency" and "raises" in why


# ---- training data and keys -----------------------------------------------------------------------------
def test_training_never_reads_the_held_out_split():
    examples, splits = tuning_examples()
    assert "test" not in splits and set(splits) == set(VIGNETTE_FILES) - {"test"}
    held_out = {v.text for v in load_vignettes(VIGNETTE_FILES["test"])}
    assert held_out and not held_out & {text for text, _ in examples}
    assert {lvl for _, lvl in examples} == set(LEVELS) and len(examples) >= 1000


def test_the_key_follows_the_examples_and_the_recipe():
    a = [("chest pain", "emergency"), ("a cold", "self-care")]
    assert training_key(a, TrainingRecipe()) == training_key(list(a), TrainingRecipe())
    assert training_key(a, TrainingRecipe()) != training_key(a[:1], TrainingRecipe())
    assert training_key(a, TrainingRecipe()) != training_key(a, TrainingRecipe(epochs=1))


def test_bad_training_data_is_refused():
    with pytest.raises(UrgencyModelError, match="unknown urgency level"):
        train_urgency_model([("a cough", "soon")])
    with pytest.raises(UrgencyModelError, match="two urgency levels"):
        train_urgency_model([("a cough", "routine"), ("a cold", "routine")])


# ---- the real encoder, trained briefly ------------------------------------------------------------------
SMALL = [("crushing chest pain spreading to my arm and I am sweating", "emergency"),
         ("he collapsed and is not breathing", "emergency"),
         ("my face has dropped on one side and my speech is slurred", "emergency"),
         ("burning when I pee for two days and a temperature", "urgent"),
         ("earache and a high fever since yesterday in my 3 year old", "urgent"),
         ("a mole that has changed shape over the last few months", "routine"),
         ("my knee has ached on and off for six weeks", "routine"),
         ("a runny nose and sneezing since yesterday", "self-care"),
         ("a mild sore throat, eating and drinking fine", "self-care")]


@pytest.fixture(scope="module")
def small_model() -> UrgencyModel:
    return train_urgency_model(SMALL, TrainingRecipe(epochs=4, batch_size=4, head_lr=5e-3))


def test_a_trained_model_reads_levels_and_records_what_it_learnt_from(small_model):
    probs = small_model.probabilities("crushing chest pain and sweating")
    assert set(probs) == set(LEVELS) and abs(sum(probs.values()) - 1) < 1e-5
    # four passes over nine texts are enough to learn the two ends apart on the training texts themselves
    assert small_model.level(SMALL[0][0])[0] == "emergency"
    assert small_model.level(SMALL[-2][0])[0] in ("self-care", "routine")
    info = small_model.info
    assert info["examples"] == len(SMALL) and info["levels"]["emergency"] == 3
    assert info["key"] == training_key(SMALL, TrainingRecipe(epochs=4, batch_size=4, head_lr=5e-3))


def test_a_saved_model_loads_with_the_same_readings(small_model, tmp_path):
    folder = tmp_path / "urgency"
    small_model.save(folder)
    again = UrgencyModel.load(folder)
    for text, _ in SMALL[:3]:
        a, b = small_model.probabilities(text), again.probabilities(text)
        assert all(abs(a[k] - b[k]) < 1e-5 for k in LEVELS)
    assert not is_current(folder)          # trained on nine texts, not the tuning vignettes
    assert load_configured("auto", tmp_path.parent / "elsewhere") is None
    assert load_configured("off", tmp_path) is None
    assert isinstance(load_configured(str(folder), tmp_path), UrgencyModel)


def test_the_int8_encoder_is_used_only_when_it_reads_like_the_float_one(small_model, tmp_path, monkeypatch, caplog):
    import qa.triage_urgency_model as um
    folder = tmp_path / "urgency"
    small_model.save(folder, precision="int8")
    assert (folder / um.ONNX_FILE).is_file() and (folder / um.INT8_FILE).is_file()
    check = json.loads((folder / um.INT8_CHECK_FILE).read_text())
    assert check["texts"] > 300 and 0 <= check["levels_changed"] <= check["texts"]
    passed = check["levels_changed"] <= um.INT8_MAX_CHANGED * check["texts"]
    assert UrgencyModel.load(folder).backend == ("onnx-int8" if passed else "onnx-fp32")
    exact = UrgencyModel.load(folder, precision="fp32")
    assert exact.backend == "onnx-fp32"
    monkeypatch.setattr(um, "INT8_MAX_CHANGED", 1.0)      # any copy will do (the check is read, not redone)
    fast = UrgencyModel.load(folder)
    assert fast.backend == "onnx-int8"
    clear = [text for text, _ in SMALL if exact.level(text)[1] >= um.CLEAR]
    assert [fast.level(text)[0] for text in clear] == [exact.level(text)[0] for text in clear]
    monkeypatch.setattr(um, "INT8_MAX_CHANGED", -1.0)     # no copy is good enough: the float encoder stays
    assert UrgencyModel.load(folder).backend == "onnx-fp32"
    assert "using the float one" in caplog.text
    with pytest.raises(UrgencyModelError, match="unknown precision"):
        UrgencyModel.load(folder, precision="int4")


def test_an_unknown_precision_setting_is_a_settings_error(tmp_path):
    from kgqa.settings import SettingsError
    with pytest.raises(SettingsError, match="KGQA_URGENCY_PRECISION"):
        load_configured("auto", tmp_path, precision="half")


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _save_as_current(model: UrgencyModel, folder) -> None:
    """The small model filed as if trained on the current tuning vignettes (what `make run` trains in the
    background), so that the pickup takes it."""
    UrgencyModel(model.tokenizer, model.encoder, model.head,
                 {**model.info, "key": training_key(tuning_examples()[0], TrainingRecipe())}).save(folder)


def test_a_model_trained_while_triage_runs_is_picked_up(small_model, tmp_path):
    from qa.triage_urgency_model import ModelPickup, default_folder
    folder, clock, got = default_folder(tmp_path), _Clock(), []
    pickup = ModelPickup(folder, got.append, precision="fp32", interval=30, clock=clock)
    pickup.poll()                                   # nothing there yet
    _save_as_current(small_model, folder)
    clock.now = 10
    pickup.poll()                                   # too soon to look again
    assert pickup.loading is None
    clock.now = 31
    pickup.poll()
    pickup.loading.join(timeout=120)
    assert len(got) == 1 and isinstance(got[0], UrgencyModel) and got[0].backend == "onnx-fp32"
    clock.now = 62
    pickup.poll()                                   # unchanged since: not loaded twice
    assert len(got) == 1


def test_a_stale_model_is_not_picked_up(small_model, tmp_path):
    from qa.triage_urgency_model import ModelPickup, default_folder
    folder, clock, got = default_folder(tmp_path), _Clock(), []
    pickup = ModelPickup(folder, got.append, interval=30, clock=clock)
    small_model.save(folder)                        # trained on nine texts, not the tuning vignettes
    clock.now = 31
    pickup.poll()
    assert pickup.loading is None and not got


def test_triage_polls_for_a_new_model_and_uses_it_once_loaded(small_model, triager, tmp_path):
    from qa.triage_urgency_model import ModelPickup, default_folder
    folder, clock = default_folder(tmp_path), _Clock()
    triager.model_pickup = ModelPickup(folder, triager.use_urgency_model, precision="fp32", interval=30, clock=clock)
    try:
        text = "I have had a cough for three days"
        assert triager.triage(text).urgency_model is None           # the rules alone until a model is there
        _save_as_current(small_model, folder)
        clock.now = 31
        triager.triage(text)                                         # sees the new model, loads it in a thread
        triager.model_pickup.loading.join(timeout=120)
        probs = triager.triage(text).urgency_model
        assert probs is not None and abs(sum(probs.values()) - 1) < 1e-5
        assert triager.urgency_model is not None and triager.urgency_model.backend == "onnx-fp32"
    finally:
        triager.model_pickup = None
        triager.use_urgency_model(None)


def test_a_second_training_of_the_same_folder_waits_for_the_first(tmp_path, capsys):
    import fcntl
    folder = tmp_path / "urgency"
    with open(tmp_path / "urgency.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert main(["triage-model", "train", "--if-stale", "--out", str(folder)]) == 0
        assert "another process is training" in capsys.readouterr().out
        assert main(["triage-model", "train", "--out", str(folder)]) == 2
        assert "another process is training" in capsys.readouterr().err
    assert not folder.exists()


def test_a_missing_or_foreign_model_is_a_clear_error(tmp_path):
    with pytest.raises(UrgencyModelError, match="kgqa triage-model train"):
        UrgencyModel.load(tmp_path)
    (tmp_path / "model.pt").write_bytes(b"")
    (tmp_path / "info.json").write_text(json.dumps({"format": 999, "encoder": "x"}))
    with pytest.raises(UrgencyModelError, match="another version"):
        UrgencyModel.load(tmp_path)


def test_a_stale_default_model_is_not_used(small_model, tmp_path, caplog):
    small_model.save(tmp_path / "models" / "urgency")
    assert load_configured("auto", tmp_path) is None
    assert "trained on other vignettes" in caplog.text


# ---- inside triage ---------------------------------------------------------------------------------------
class _Sure:
    """A stand-in reader that is sure of one level (logic test of how triage uses a reader)."""
    def __init__(self, level: str):
        self.level_name = level
        self.calls = 0

    def probabilities(self, text: str) -> dict[str, float]:
        self.calls += 1
        return {lvl: (1.0 if lvl == self.level_name else 0.0) for lvl in LEVELS}


class _Unsure(_Sure):
    """Leans to self-care but gives an emergency the 2% that keeps a rules emergency."""
    def __init__(self):
        super().__init__("self-care")

    def probabilities(self, text: str) -> dict[str, float]:
        self.calls += 1
        return {"self-care": 0.9, "routine": 0.05, "urgent": 0.03, "emergency": EMERGENCY_VETO}


@pytest.fixture
def triager_with(triager):
    old = triager.urgency_model
    def use(reader):
        triager.urgency_model = reader
        return triager
    yield use
    triager.urgency_model = old


@pytest.mark.slow
def test_triage_reports_both_readings_and_keeps_an_emergency(triager_with):
    reader = _Sure("self-care")
    t = triager_with(reader)
    result = t.triage("crushing chest pain going down my left arm and I'm sweating buckets")
    assert reader.calls == 1
    assert result.urgency_rules == "emergency" and result.to_json()["urgency_model"]["self-care"] == 1.0
    # a reader sure of self-care overrules the sign, but an emergency sign is never sent home
    assert result.urgency == "routine" and "lowers" in result.urgency_reasons[0]
    unsure = triager_with(_Unsure()).triage("crushing chest pain going down my left arm and I'm sweating buckets")
    assert unsure.urgency == "emergency"


@pytest.mark.slow
def test_triage_lets_the_reader_lower_a_condition_vote_and_says_why(triager_with):
    plain = triager_with(None).triage("I have had a cough and a runny nose for 3 days")
    assert plain.urgency_model is None and plain.urgency == plain.urgency_rules
    result = triager_with(_Sure("emergency")).triage("I have had a cough and a runny nose for 3 days")
    assert result.urgency == "emergency" and result.urgency_rules == plain.urgency
    assert "raises" in result.urgency_reasons[0]


@pytest.mark.slow
def test_an_emergency_from_the_likely_conditions_holds_against_a_sure_reader(triager_with):
    text = "Swallowing is painful and feels blocked, I feel hot and feverish, my voice is hoarse and I'm short of breath"
    result = triager_with(_Sure("self-care")).triage(text)
    # the rules' emergency comes from the likely conditions (epiglottitis), not from an emergency warning sign
    assert result.urgency_rules == "emergency"
    assert not [f for f in result.red_flags if f["level"] == "emergency"]
    assert result.urgency == "emergency"


@pytest.mark.slow
def test_text_with_nothing_recognised_does_not_ask_the_reader(triager_with):
    reader = _Sure("emergency")
    result = triager_with(reader).triage("what time does the library open on Sunday")
    assert reader.calls == 0 and result.urgency == "routine" and not result.candidates


# ---- command line ----------------------------------------------------------------------------------------
def test_info_without_a_model_is_a_user_error(tmp_path, capsys):
    assert main(["triage-model", "info", "--out", str(tmp_path / "none")]) == 2
    assert "kgqa triage-model train" in capsys.readouterr().err


def test_a_setting_naming_a_folder_without_a_model_is_a_settings_error(tmp_path):
    # (the command line prints a SettingsError as "kgqa: error: ...", exit code 2)
    from kgqa.settings import SettingsError
    with pytest.raises(SettingsError, match="KGQA_URGENCY_MODEL=.*kgqa triage-model train"):
        load_configured(str(tmp_path / "nothing-here"), tmp_path)


def test_train_refuses_zero_epochs(tmp_path, capsys):
    assert main(["triage-model", "train", "--epochs", "0", "--out", str(tmp_path)]) == 2
    assert "--epochs" in capsys.readouterr().err


# ---- the claim: fine-tuned on some splits, it reads a split it never saw ---------------------------------
@pytest.mark.slow
def test_trained_without_seen10_it_triages_seen10_with_no_emergency_under_triaged(triager_with, tmp_path):
    """The full recipe trained on every tuning split but seen10 (about 10 minutes on 2 cores), then the rules
    and the reader together on seen10: session 9's held-out set, on which the rules alone score 69.4% (they
    were never tuned on it). Docs/triage.md records 81.9% with the guard rails (90.3% for the reader alone);
    the bar leaves two vignettes for differences between CPUs. The model is read as triage reads it by
    default, with its int8 encoder. Then the style check: greetings it never saw
    in training must not change its reading of these texts (0 of 288 changed when recorded)."""
    examples = [(v.text, v.urgency) for s in VIGNETTE_FILES if s not in ("test", "seen10")
                for v in load_vignettes(VIGNETTE_FILES[s])]
    train_urgency_model(examples).save(tmp_path / "fold", precision="int8")
    model = UrgencyModel.load(tmp_path / "fold")            # as triage loads it: the int8 encoder by default
    assert model.backend == "onnx-int8"
    t = triager_with(model)
    seen10 = load_vignettes(VIGNETTE_FILES["seen10"])
    results = [(v, t.triage(v.text)) for v in seen10]
    right = sum(r.urgency == v.urgency for v, r in results) / len(results)
    missed_emergencies = [v.id for v, r in results if v.urgency == "emergency" and r.urgency != "emergency"]
    assert right >= 0.78, right
    assert not missed_emergencies
    unseen_openers = ["Hiya, hope you're well.", "Good day, I am messaging from my cousin's phone.",
                      "Dear team, thank you for this service."]
    assert not set(unseen_openers) & set(OPENERS)
    plain = [model.level(v.text)[0] for v in seen10]
    changed = sum(model.level(f"{o} {v.text}")[0] != level for o in unseen_openers for v, level in zip(seen10, plain))
    assert changed <= 0.05 * len(unseen_openers) * len(seen10), changed
