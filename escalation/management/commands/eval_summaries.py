import json
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.summary_evaluation import (
    FACT_KINDS,
    PER_SOURCE,
    SGD_COMMIT,
    SGD_REPOSITORY,
    Report,
    Score,
    dialogues_load,
    evaluate,
)


def checkout_commit(root: Path) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603
            ["git", "-C", str(root), "rev-parse", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def cells(score: Score) -> list[str]:
    kinds = [
        f"{score.fact_share(kind):.2f}" if score.facts[kind][1] else "-" for kind, _ in FACT_KINDS
    ]
    return [f"{score.fact_share():.2f}", *kinds, f"{score.outcome_share():.2f}"]


def table(report: Report) -> str:
    head = ["", "facts kept", *(kind for kind, _ in FACT_KINDS), "outcome kept", "longest"]
    rows = [
        ["first message (baseline)", *cells(report.baseline), str(report.baseline.longest)],
        ["extractive, source left out", *cells(report.held_out), str(report.held_out.longest)],
    ]
    for source, (baseline, held_out) in report.per_source.items():
        rows.append(
            [
                f"  {source} (quote {report.chosen[source]}): baseline → extractive",
                *(f"{a} → {b}" for a, b in zip(cells(baseline), cells(held_out), strict=True)),
                str(held_out.longest),
            ]
        )
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [head, *rows]
    )


class Command(BaseCommand):
    help = (
        "Measure the fallback summary's key-fact retention on the Schema-Guided Dialogue corpus "
        f"({SGD_REPOSITORY} at {SGD_COMMIT[:7]}) beside the first-message baseline, each source "
        "scored with the choice made on the others; one JSON object on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sgd", type=Path, required=True, help="a checkout of the corpus")
        parser.add_argument("--per-source", type=int, default=PER_SOURCE)
        parser.add_argument(
            "--skip",
            type=int,
            default=0,
            help=f"skip each source's first dialogues (--skip {PER_SOURCE}: the unseen ones)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root: Path = options["sgd"]
        if not (root / "test").is_dir():
            raise CommandError(f"{root} has no test/ folder: check out {SGD_REPOSITORY}.")
        commit = checkout_commit(root)
        if commit is not None and commit != SGD_COMMIT:
            self.stderr.write(f"The checkout is at {commit}; the figures are for {SGD_COMMIT}.")
        dialogues = dialogues_load(root, per_source=options["per_source"], skip=options["skip"])
        if not dialogues:
            raise CommandError(f"No dialogues found under {root / 'test'}.")
        report = evaluate(dialogues)
        self.stdout.write(f"{report.dialogues} dialogues of {len(report.per_source)} sources")
        self.stdout.write(table(report))
        self.stdout.write(f"quote words chosen on all sources: {report.chosen_on_all}")
        figures = {
            name: {"facts": round(s.fact_share(), 4), "outcome": round(s.outcome_share(), 4)}
            for name, s in (("baseline", report.baseline), ("extractive", report.held_out))
        }
        self.stdout.write(json.dumps({"dialogues": report.dialogues, **figures}))
