import os
import subprocess
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from escalation.processes import EagerBeat, child_env, daphne_command, stop, worker_command


class Command(BaseCommand):
    help = (
        "Serve the console, the customer chat and the API with daphne; with REDIS_URL set, "
        "also run a Celery worker with beat beside it; without, run the periodic tasks here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, port: int, host: str, **options: Any) -> None:
        base = f"http://{host}:{port}"
        self.stdout.write(
            f"\nHandover is serving on {base}\n"
            f"  agent console   {base}/console/\n"
            f"  customer chat   {base}/chat/\n"
            f"  admin           {base}/admin/\n"
            f"  Bot API         {base}/api/v1/  (OpenAPI: {base}/api/v1/openapi.json)\n"
            f"  health          {base}/healthz\n"
            "  logins (password handover-demo): agents ana, ben; supervisor sam; customer maria\n"
        )
        # The children's survey links point at the port served (SITE_URL follows PORT).
        env = child_env({"PORT": str(port)})
        worker = beat = None
        if settings.CELERY_TASK_ALWAYS_EAGER:
            beat = EagerBeat(settings.CELERY_BEAT_SCHEDULE)
            beat.start()
        else:
            # Warnings and errors only: at info a worker with beat logs three lines for every
            # periodic task, twice a minute.
            command = worker_command("-B", "-l", "warning")
            worker = subprocess.Popen(command, env=env)  # noqa: S603
        try:
            subprocess.run(daphne_command(host, port), env=env, check=False)  # noqa: S603
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                stop(worker)
            if beat is not None:
                beat.stop()
