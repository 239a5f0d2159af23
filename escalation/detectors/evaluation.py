"""Measure the text detectors against labelled JSON-lines corpora.

Each line is an object: ``{"text", "label"}`` for human requests and distress, ``{"a", "b",
"label"}`` for repeats; an optional ``subset`` (or, in the training corpus, ``source``) groups
rows, and other fields are ignored. Results are precision, recall and F1, pooled and per group.
No Django here: the management command passes in the thresholds it reads from the policy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from escalation.detectors.distress import DEFAULT_DISTRESS_THRESHOLD, detect_distress
from escalation.detectors.human_request import detect_human_request
from escalation.detectors.restatement import DEFAULT_REPEAT_THRESHOLD, is_restatement

__all__ = [
    "DetectorKind",
    "EvalReport",
    "Metrics",
    "evaluate_file",
    "evaluate_rows",
    "format_table",
    "predict_row",
    "read_rows",
]

DetectorKind = Literal["human_request", "distress", "repeats"]
POOLED = "pooled"


@dataclass
class Metrics:
    """Confusion counts of one detector on one group of rows."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0

    def add(self, *, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.true_positives += 1
        elif predicted:
            self.false_positives += 1
        elif actual:
            self.false_negatives += 1
        else:
            self.true_negatives += 1

    @property
    def rows(self) -> int:
        return (
            self.true_positives + self.false_positives + self.false_negatives + self.true_negatives
        )

    @property
    def positives(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        # No prediction at all makes no false alarm: precision is vacuously perfect.
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.positives if self.positives else 1.0

    @property
    def f1(self) -> float:
        if self.true_positives == 0:
            return 0.0 if (self.false_positives or self.false_negatives) else 1.0
        precision, recall = self.precision, self.recall
        return 2 * precision * recall / (precision + recall)


@dataclass
class EvalReport:
    """Metrics of one detector on one corpus, pooled and per subset."""

    kind: DetectorKind
    source: str
    threshold: float | None
    pooled: Metrics = field(default_factory=Metrics)
    subsets: dict[str, Metrics] = field(default_factory=dict)


def read_rows(path: Path) -> Iterator[dict[str, object]]:
    """Yield the JSON objects of a JSON-lines file, skipping blank lines."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict):
                raise TypeError(f"{path}:{number}: expected a JSON object")
            yield cast(dict[str, object], row)


def _text(row: dict[str, object], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise TypeError(f"row has no text field {key!r}: {sorted(row)}")
    return value


def _label(row: dict[str, object]) -> bool:
    value = row.get("label")
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no"}:
        return False
    raise ValueError(f"row has no boolean label: {value!r}")


def predict_row(
    kind: DetectorKind,
    row: dict[str, object],
    *,
    distress_threshold: float = DEFAULT_DISTRESS_THRESHOLD,
    repeat_threshold: float = DEFAULT_REPEAT_THRESHOLD,
) -> bool:
    """Whether the detector of ``kind`` fires on one corpus row."""
    if kind == "human_request":
        return detect_human_request(_text(row, "text")).fired
    if kind == "distress":
        return detect_distress(_text(row, "text"), threshold=distress_threshold).fired
    if kind == "repeats":
        return is_restatement(_text(row, "a"), _text(row, "b"), threshold=repeat_threshold).fired
    raise ValueError(f"unknown detector kind: {kind!r}")


def evaluate_rows(
    kind: DetectorKind,
    rows: Iterable[dict[str, object]],
    *,
    source: str = "",
    distress_threshold: float = DEFAULT_DISTRESS_THRESHOLD,
    repeat_threshold: float = DEFAULT_REPEAT_THRESHOLD,
) -> EvalReport:
    """Run one detector over labelled rows and count its hits and misses."""
    threshold: float | None = None
    if kind == "distress":
        threshold = distress_threshold
    elif kind == "repeats":
        threshold = repeat_threshold
    report = EvalReport(kind=kind, source=source, threshold=threshold)
    for row in rows:
        actual = _label(row)
        predicted = predict_row(
            kind,
            row,
            distress_threshold=distress_threshold,
            repeat_threshold=repeat_threshold,
        )
        report.pooled.add(predicted=predicted, actual=actual)
        # The training corpus names its groups "source" (build_training_data).
        subset = row.get("subset") or row.get("source")
        if isinstance(subset, str) and subset:
            report.subsets.setdefault(subset, Metrics()).add(predicted=predicted, actual=actual)
    return report


def evaluate_file(
    kind: DetectorKind,
    path: Path,
    *,
    distress_threshold: float = DEFAULT_DISTRESS_THRESHOLD,
    repeat_threshold: float = DEFAULT_REPEAT_THRESHOLD,
) -> EvalReport:
    """Evaluate one detector on a JSON-lines corpus."""
    return evaluate_rows(
        kind,
        read_rows(path),
        source=path.name,
        distress_threshold=distress_threshold,
        repeat_threshold=repeat_threshold,
    )


def format_table(reports: Sequence[EvalReport]) -> str:
    """Plain-text table: one line per detector and subset, then the pooled line."""
    header = ("detector", "subset", "rows", "pos", "precision", "recall", "f1", "threshold")
    lines: list[tuple[str, ...]] = [header]
    for report in reports:
        threshold = "-" if report.threshold is None else f"{report.threshold:.2f}"
        groups = [*sorted(report.subsets.items()), (POOLED, report.pooled)]
        for name, metrics in groups:
            lines.append(
                (
                    report.kind,
                    name,
                    str(metrics.rows),
                    str(metrics.positives),
                    f"{metrics.precision:.3f}",
                    f"{metrics.recall:.3f}",
                    f"{metrics.f1:.3f}",
                    threshold,
                )
            )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    numeric = {2, 3, 4, 5, 6, 7}
    rendered = []
    for index, line in enumerate(lines):
        cells = [
            cell.rjust(widths[column]) if column in numeric else cell.ljust(widths[column])
            for column, cell in enumerate(line)
        ]
        rendered.append("  ".join(cells).rstrip())
        if index == 0:
            rendered.append("  ".join("-" * width for width in widths))
    return "\n".join(rendered) + "\n"
