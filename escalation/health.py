"""Reachability of the parts the system stands on, for load balancers and operators: /healthz."""

import asyncio
import logging

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalation.celery import app as celery_app

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        # The channel first: with pub/sub, a message sent before anyone listens is dropped.
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "healthz"})
        await asyncio.wait_for(layer.receive(channel), timeout=5)

    # On an event loop of its own, closed after: its connections and the channel's
    # subscription close with it (async_to_sync would run this on the server's loop, where
    # every check would leave its channel behind).
    asyncio.run(round_trip())


def check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": check_database, "channel_layer": check_channel_layer, "broker": check_broker}


def health_report() -> dict[str, str]:
    report = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            logger.warning("health check %s failed: %s", name, exc)
            report[name] = f"error: {type(exc).__name__}"
        else:
            report[name] = "ok"
    return report


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    healthy = all(state == "ok" for state in report.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **report}, status=200 if healthy else 503
    )
