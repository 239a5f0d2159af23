"""The figures of a run: each beside its baseline, with the ratio and its target; printed as a
table, then as one JSON object on the last line."""

import json
import statistics
from dataclasses import dataclass, field
from typing import Any, Literal

# How a figure meets its target: its ratio to the baseline at least / at most the bound, equal
# to the baseline, or its own value at least / at most the bound.
Rule = Literal["ratio>=", "ratio<=", "equal", "value>=", "value<=", "info"]


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float
    baseline: float | None
    unit: str
    rule: Rule = "info"
    bound: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str:
        bound = f"{self.bound:g}" if self.bound is not None else ""
        return {
            "ratio>=": f"ratio ≥ {bound}",
            "ratio<=": f"ratio ≤ {bound}",
            "equal": "equal",
            "value>=": f"≥ {bound} {self.unit}",
            "value<=": f"≤ {bound} {self.unit}",
            "info": "",
        }[self.rule]

    @property
    def passed(self) -> bool | None:
        ratio, bound = self.ratio, self.bound
        if self.rule == "equal":
            return self.value == self.baseline
        if self.rule == "value>=" and bound is not None:
            return self.value >= bound
        if self.rule == "value<=" and bound is not None:
            return self.value <= bound
        if ratio is None or bound is None:
            return None
        if self.rule == "ratio>=":
            return ratio >= bound
        if self.rule == "ratio<=":
            return ratio <= bound
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": round(self.value, 3),
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "unit": self.unit,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": self.target,
            "passed": self.passed,
        }


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)  # soak, data volume, machine
    errors: list[str] = field(default_factory=list)

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    @property
    def is_broken(self) -> bool:
        """The benchmark itself failed (errors, lost messages), as opposed to a missed target."""
        return bool(self.errors)

    def table(self) -> str:
        header = ("figure", "value", "baseline", "ratio", "target", "")
        rows = [header]
        for f in self.figures:
            rows.append(
                (
                    f.label,
                    f"{f.value:,.1f} {f.unit}",
                    "-" if f.baseline is None else f"{f.baseline:,.1f} {f.unit}",
                    "-" if f.ratio is None else f"{f.ratio:.2f}",
                    f.target,
                    {True: "pass", False: "MISSED", None: ""}[f.passed],
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)

    def as_json(self) -> str:
        return json.dumps(
            {
                "figures": {f.key: f.as_dict() for f in self.figures},
                **self.sections,
                "errors": self.errors,
                "ok": not self.is_broken,
            },
            sort_keys=False,
        )


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0 to 100) of the samples, interpolated."""
    if not values:
        raise ValueError("no samples")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]
