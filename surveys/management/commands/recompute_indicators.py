from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from surveys.indicators import outcomes_recompute


class Command(BaseCommand):
    help = "Recompute repeat detection and first-contact resolution for finished handoffs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--open-only",
            action="store_true",
            help="Only handoffs whose first-contact judgement is still pending.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = outcomes_recompute(only_open=options["open_only"])
        self.stdout.write(self.style.SUCCESS(f"Recomputed {count} handoff outcome(s)."))
