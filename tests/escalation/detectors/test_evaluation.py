import json
from pathlib import Path

import pytest

from escalation.detectors.evaluation import (
    EvalReport,
    Metrics,
    evaluate_file,
    evaluate_rows,
    format_table,
)

EVAL_DIR = Path(__file__).resolve().parents[4] / "shared" / "eval"
HAS_EVAL_CORPORA = (EVAL_DIR / "human_request.jsonl").is_file()


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_metrics_compute_precision_recall_and_f1() -> None:
    metrics = Metrics(true_positives=8, false_positives=2, false_negatives=8, true_negatives=82)
    assert metrics.rows == 100
    assert metrics.positives == 16
    assert metrics.precision == pytest.approx(0.8)
    assert metrics.recall == pytest.approx(0.5)
    assert metrics.f1 == pytest.approx(2 * 0.8 * 0.5 / 1.3)


def test_metrics_without_predictions_or_positives() -> None:
    assert Metrics(true_negatives=5).f1 == 1.0
    assert Metrics(false_negatives=3).f1 == 0.0
    assert Metrics(false_positives=3).precision == 0.0


def test_evaluate_file_human_requests_per_subset(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "human.jsonl",
        [
            {"text": "can I talk to a real person", "label": True, "subset": "chat"},
            {"text": "agent please", "label": True, "subset": "chat", "source": "ignored"},
            {"text": "where is my parcel", "label": False, "subset": "chat"},
            {"text": "my travel agent booked it", "label": False, "subset": "mail"},
            {"text": "I want a representative", "label": True},
        ],
    )
    report = evaluate_file("human_request", path)
    assert report.kind == "human_request"
    assert report.threshold is None
    assert report.pooled.true_positives == 3
    assert report.pooled.false_positives == 0
    assert report.pooled.f1 == 1.0
    assert set(report.subsets) == {"chat", "mail"}
    assert report.subsets["chat"].rows == 3
    assert report.subsets["mail"].true_negatives == 1


def test_training_corpus_rows_are_grouped_by_their_source() -> None:
    rows = [
        {"text": "agent please", "label": True, "source": "rasa_demo"},
        {"text": "where is my parcel", "label": False, "source": "sgd"},
        {"text": "I want a representative", "label": True, "subset": "chat", "source": "sgd"},
    ]
    report = evaluate_rows("human_request", rows)
    assert set(report.subsets) == {"rasa_demo", "sgd", "chat"}
    assert report.subsets["sgd"].true_negatives == 1


def test_evaluate_rows_uses_the_given_thresholds() -> None:
    rows: list[dict[str, object]] = [
        {"text": "this is a bit annoying", "label": True},
        {"text": "thanks a lot", "label": False},
    ]
    lenient = evaluate_rows("distress", rows, distress_threshold=0.05)
    strict = evaluate_rows("distress", rows, distress_threshold=1.0)
    assert lenient.threshold == 0.05
    assert lenient.pooled.true_positives == 1
    assert strict.pooled.true_positives == 0


def test_evaluate_rows_repeats_reads_pairs(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "pairs.jsonl",
        [
            {"a": "I want my money back", "b": "How do I get a refund?", "label": True},
            {"a": "My transfer did not go through", "b": "How do I change my PIN?", "label": False},
        ],
    )
    report = evaluate_file("repeats", path, repeat_threshold=0.5)
    assert report.pooled.rows == 2
    assert report.pooled.f1 == 1.0


def test_labels_may_be_strings_or_numbers() -> None:
    rows: list[dict[str, object]] = [
        {"text": "agent please", "label": "true"},
        {"text": "hello", "label": 0},
    ]
    assert evaluate_rows("human_request", rows).pooled.f1 == 1.0


def test_rows_without_text_are_rejected() -> None:
    with pytest.raises(TypeError, match="text"):
        evaluate_rows("human_request", [{"label": True}])


def test_format_table_lists_subsets_then_pooled() -> None:
    report = EvalReport(kind="distress", source="x.jsonl", threshold=0.5)
    report.pooled = Metrics(true_positives=3, false_positives=1, false_negatives=1)
    report.subsets = {"b": Metrics(true_positives=1), "a": Metrics(true_positives=2)}
    lines = format_table([report]).splitlines()
    assert lines[0].split()[:3] == ["detector", "subset", "rows"]
    assert [line.split()[1] for line in lines[2:]] == ["a", "b", "pooled"]
    assert "0.750" in lines[-1]
    assert lines[-1].endswith("0.50")


@pytest.mark.skipif(
    not HAS_EVAL_CORPORA, reason=f"labelled evaluation corpora not present at {EVAL_DIR}"
)
def test_detectors_reach_their_targets_on_the_shared_corpora() -> None:
    human = evaluate_file("human_request", EVAL_DIR / "human_request.jsonl")
    distress = evaluate_file("distress", EVAL_DIR / "distress.jsonl", distress_threshold=0.5)
    print(format_table([human, distress]))
    assert human.pooled.recall >= 0.97
    assert human.pooled.precision >= 0.95
    # The distress head never saw these rows: measured F1 0.585 (P 0.538, R 0.641); the floor
    # sits 0.02 under it. The cue-word rules it replaced scored 0.714 here, the set they were
    # written against, and fell to 0.45 and 0.53 on sets they had not seen.
    assert distress.pooled.f1 >= 0.565


@pytest.mark.skipif(
    not HAS_EVAL_CORPORA, reason=f"labelled evaluation corpora not present at {EVAL_DIR}"
)
def test_repeat_detector_reaches_its_target() -> None:
    repeats = evaluate_file("repeats", EVAL_DIR / "repeat_pairs.jsonl", repeat_threshold=0.5)
    print(format_table([repeats]))
    # The pair head never saw these rows (BANKING77 is in no training source): measured F1
    # 0.703 (P 0.597, R 0.855); the floor sits 0.02 under it.
    assert repeats.pooled.f1 >= 0.683
    assert repeats.pooled.precision >= 0.57
