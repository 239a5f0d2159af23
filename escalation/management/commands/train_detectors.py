import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.detectors.heads import HEADS_FILE
from escalation.detectors.training import per_source, train


class Command(BaseCommand):
    # It reads the built corpus and writes the heads file: no database or secret is needed.
    requires_system_checks: list[str] = []
    help = (
        "Train the detectors' heads on the corpus of build_training_data and print the "
        "leave-one-source-out report. Needs scikit-learn (the dev dependency group)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", type=Path, default=Path("var/training"))
        parser.add_argument("--out", type=Path, default=HEADS_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        corpus: Path = options["corpus"]
        if not (corpus / "manifest.json").exists():
            raise CommandError(f"no corpus in {corpus}: run build_training_data first")
        report = train(corpus, log=self.stdout.write)
        for line in per_source(report):
            self.stdout.write(line)
        options["out"].write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        self.stdout.write(f"written to {options['out']}")
