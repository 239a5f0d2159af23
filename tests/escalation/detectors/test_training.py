"""train_detectors on a small corpus of the built shape: one fold per source, thresholds at 0.5,
encodings kept for the next run, and a heads file that restatement.py can read."""

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from escalation.detectors import heads as heads_module
from escalation.detectors import restatement
from escalation.detectors.training import train

SOURCES = ("shop", "bank", "travel")
ASKS = ["can I talk to a person about {t}", "put me through to someone for {t}", "agent for {t}"]
OTHER = ["where is my {t}", "how much is the {t}", "change my {t} please"]
ANGRY = ["this {t} is a disgrace!!!", "I am furious about the {t}", "useless {t}, again"]
CALM = ["thanks, the {t} is fine", "what time does the {t} open", "ok the {t} works"]
THINGS = {"shop": "parcel", "bank": "card", "travel": "flight"}


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    human, distress, pairs = [], [], []
    for source in SOURCES:
        thing = THINGS[source]
        meta = {"source": source, "domain": source, "register": "chat"}
        human += [{"text": t.format(t=thing), "label": True, **meta} for t in ASKS]
        human += [{"text": t.format(t=thing), "label": False, **meta} for t in OTHER]
        distress += [{"text": t.format(t=thing), "label": True, **meta} for t in ANGRY]
        distress += [{"text": t.format(t=thing), "label": False, **meta} for t in CALM]
        pairs += [
            {"a": f"my {thing} 12345 is lost", "b": f"I can't find {thing} 12345", "label": True},
            {"a": f"my {thing} is late", "b": f"where is my {thing}?", "label": True},
            {"a": f"my {thing} is late", "b": "what is the weather like", "label": False},
            {"a": f"cancel my {thing}", "b": "do you sell gift cards", "label": False},
        ]
        for pair in pairs[-4:]:
            pair.update(meta)
    _write(tmp_path / "human_request.jsonl", human)
    _write(tmp_path / "distress.jsonl", distress)
    _write(tmp_path / "repeat_pairs.jsonl", pairs)
    manifest = {"sources": {s: {"repo": f"example/{s}", "commit": "0" * 40} for s in SOURCES}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return tmp_path


def test_every_source_is_left_out_once_and_the_threshold_sits_at_one_half(corpus: Path) -> None:
    report = train(corpus, log=lambda line: None)
    for name in ("human_request", "distress", "repeats"):
        spec = report["heads"][name]
        folds = spec["leave_one_source_out"]["folds"]
        assert sorted(f["source"] for f in folds) == sorted(SOURCES)
        assert len(spec["weights"]) == len(spec["features"])
        assert all(f["positives"] and f["negatives"] for f in folds)
    assert report["sources"]["bank"]["commit"] == "0" * 40
    assert set(report["corpus"]) == {"human_request", "distress", "repeats"}
    assert "calm_fired_when_relaxed" in report["heads"]["distress"]
    repeat_folds = report["heads"]["repeats"]["leave_one_source_out"]["folds"]
    assert all(f["baseline_f1"] is not None for f in repeat_folds)
    assert math.isfinite(report["heads"]["repeats"]["bias"])


def test_a_second_run_encodes_nothing_again(corpus: Path) -> None:
    train(corpus, log=lambda line: None)
    encoded = np.load(corpus / "vectors.npy").shape[0]
    lines: list[str] = []
    train(corpus, log=lines.append)
    assert not any(line.startswith("encoding") for line in lines)
    assert np.load(corpus / "vectors.npy").shape[0] == encoded


def test_the_command_writes_a_heads_file_restatement_reads(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "heads.json"
    call_command("train_detectors", corpus=corpus, out=out, stdout=io.StringIO())
    monkeypatch.setattr(heads_module, "HEADS_FILE", out)
    heads_module._heads.cache_clear()
    heads_module.head.cache_clear()
    restatement.similarity.cache_clear()
    try:
        assert 0.0 <= restatement.similarity("my card is late", "where is my card?") <= 1.0
        assert heads_module.head("repeats").weights.shape == (
            len(json.loads(out.read_text())["heads"]["repeats"]["features"]),
        )
    finally:
        heads_module._heads.cache_clear()
        heads_module.head.cache_clear()
        restatement.similarity.cache_clear()


def test_the_command_says_what_to_run_first(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="build_training_data"):
        call_command("train_detectors", corpus=tmp_path / "nothing", out=tmp_path / "h.json")


def test_the_threshold_meets_its_precision_floor_and_spares_calm_messages() -> None:
    from escalation.detectors.training import CALM_RATE, RELAXED_MARGIN, _metrics, _threshold

    rng = np.random.default_rng(0)
    labels = np.array([True] * 500 + [False] * 500)
    scores = np.where(labels, rng.normal(1.0, 1.0, 1000), rng.normal(-1.0, 1.0, 1000))
    best = _threshold(scores, labels, None)
    floored = _threshold(scores, labels, None, precision=0.95)
    assert _metrics(scores, labels, best)[0] < 0.95 <= _metrics(scores, labels, floored)[0]
    calm = ~labels & (np.arange(1000) % 2 == 0)
    held = _threshold(scores, labels, calm)
    assert (scores[calm] >= held - RELAXED_MARGIN).mean() <= CALM_RATE
    assert held > best


def test_human_requests_are_validated_as_shipped_with_the_rules_beside_the_head(
    corpus: Path,
) -> None:
    """The folds score the head with the rules' verdicts joined in (a rule that fires wins, a
    negation vetoes), and report the head alone and the rules alone beside it."""
    from escalation.detectors.training import Rules

    rules = Rules.of(
        ["put me through to someone", "I don't want to talk to an agent", "where is my card"]
    )
    assert rules.fired.tolist() == [True, False, False]
    assert rules.negated.tolist() == [False, True, False]
    combined = rules.combine(np.array([-5.0, 5.0, 1.5]))
    assert combined[0] > 1e5 and combined[1] < -1e5 and combined[2] == 1.5

    report = train(corpus, log=lambda line: None)
    loso = report["heads"]["human_request"]["leave_one_source_out"]
    assert all(f["head_f1"] is not None and f["baseline_f1"] is not None for f in loso["folds"])
    assert loso["head_alone_mean_f1"] is not None
    assert report["heads"]["distress"]["leave_one_source_out"]["head_alone_mean_f1"] is None
