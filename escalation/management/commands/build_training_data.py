from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.detectors.corpus import BuildError, build


class Command(BaseCommand):
    # It reads public files and writes local ones: no database or secret is needed.
    requires_system_checks: list[str] = []
    help = "Build the detectors' training corpus from public data files pinned by commit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=Path("var/training"))
        parser.add_argument(
            "--mirror",
            type=Path,
            default=None,
            help="a directory of bare git snapshots named owner+name; without it, files are "
            "downloaded from raw.githubusercontent.com",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = build(options["out"], mirror=options["mirror"])
        except BuildError as error:
            raise CommandError(str(error)) from error
        tasks = ("human_request", "distress", "repeat_pairs")
        self.stdout.write(f"{'source':<18}" + "".join(f"{task + ' +/-':>22}" for task in tasks))
        for source_id, source in manifest["sources"].items():
            cells = []
            for task in tasks:
                positive = sum(f.get(task, {}).get("true", 0) for f in source["rows"].values())
                negative = sum(f.get(task, {}).get("false", 0) for f in source["rows"].values())
                cells.append(f"{positive:>11} / {negative:<8}")
            self.stdout.write(f"{source_id:<18}" + "".join(f"{c:>22}" for c in cells))
        self.stdout.write(f"written to {options['out']}")
