import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.bench.run import BENCH_SETTINGS, Plan, run


class Command(BaseCommand):
    help = (
        "Measure the performance figures, each beside its baseline in the same run, and soak the "
        "server with bots and agents working at once; print a table and, as the last line, one "
        "JSON object. It runs on a database of its own, created and dropped by the command "
        "(PostgreSQL: handover_bench_run_<pid> on the configured server; SQLite: a temporary "
        "file), starts daphne on a free loopback port and, with REDIS_URL, a Celery worker on "
        "a queue and channel-layer prefix of its own: the configured database and a deployment "
        "sharing the Redis are not touched. Exits non-zero only when the benchmark breaks "
        "(errors, lost messages), not when a target is missed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="a reduced run (under 2 min)")
        parser.add_argument(
            "--scale",
            action="store_true",
            help="first build 1,000,000 messages in 100,000 conversations and EXPLAIN the hot "
            "paths (PostgreSQL)",
        )
        parser.add_argument("--soak-seconds", type=float, help="soak length (20 quick, 180 full)")
        parser.add_argument("--seconds", type=float, help="length of each Bot API run")
        parser.add_argument("--samples", type=int, help="escalations timed to the agent's screen")
        parser.add_argument("--sockets", type=int, help="agent sockets for the broadcast (1000)")

    def handle(self, *args: Any, quick: bool, scale: bool, **options: Any) -> None:
        if settings.SETTINGS_MODULE != BENCH_SETTINGS:
            if sys.argv[1:2] != ["bench"]:
                raise CommandError(f"Run with DJANGO_SETTINGS_MODULE={BENCH_SETTINGS}.")
            # The bench's own settings (baseline endpoints, its own queue and prefixes), for this
            # process and the servers it starts.
            environment = os.environ | {"DJANGO_SETTINGS_MODULE": BENCH_SETTINGS}
            os.execve(sys.executable, [sys.executable, *sys.argv], environment)  # noqa: S606
        if scale and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("--scale needs PostgreSQL (DATABASE_URL).")
        plan = Plan.of(
            quick=quick,
            scale=scale,
            soak_seconds=options["soak_seconds"],
            seconds=options["seconds"],
            samples=options["samples"],
            sockets=options["sockets"],
        )
        report = run(plan, say=lambda text: self.stderr.write(f"· {text}"))
        self.stdout.write(report.table())
        hot_paths = report.sections.get("data_volume", {}).get("hot_paths", {})
        for name, path in hot_paths.items():
            scans = ", ".join(path["seq_scans"]) or "none"
            self.stdout.write(
                f"EXPLAIN {name}: {path['queries']} queries; "
                f"sequential scans of large tables: {scans}"
            )
        for error in report.errors:
            self.stdout.write(f"error: {error}")
        self.stdout.write(report.as_json())
        if report.is_broken:
            sys.exit(1)
