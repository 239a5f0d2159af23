import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.detectors.evaluation import EvalReport, evaluate_file, format_table
from escalation.models import TriggerPolicy


class Command(BaseCommand):
    help = (
        "Measure the production detectors on labelled JSONL files with the current policy: "
        "precision, recall and F1 per detector and subset, then one JSON object on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--human-request", type=Path, help='rows {"text", "label"}')
        parser.add_argument("--distress", type=Path, help='rows {"text", "label"}')
        parser.add_argument("--repeats", type=Path, help='rows {"a", "b", "label"}')

    def handle(self, *args: Any, **options: Any) -> None:
        files = {
            "human_request": options["human_request"],
            "distress": options["distress"],
            "repeats": options["repeats"],
        }
        if not any(files.values()):
            raise CommandError("Give at least one of --human-request, --distress, --repeats.")
        for path in files.values():
            if path is not None and not path.is_file():
                raise CommandError(f"No such file: {path}")
        policy = TriggerPolicy.current()
        reports: list[EvalReport] = []
        for kind, path in files.items():
            if path is None:
                continue
            try:
                reports.append(
                    evaluate_file(
                        kind,  # type: ignore[arg-type]
                        path,
                        distress_threshold=policy.distress_threshold,
                        repeat_threshold=policy.repeat_similarity_threshold,
                    )
                )
            except (ValueError, KeyError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(format_table(reports))
        summary = {
            report.kind: {
                "precision": round(report.pooled.precision, 4),
                "recall": round(report.pooled.recall, 4),
                "f1": round(report.pooled.f1, 4),
            }
            for report in reports
        }
        self.stdout.write(json.dumps(summary))
