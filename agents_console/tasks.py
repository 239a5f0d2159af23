from celery import shared_task

from agents_console import broadcast, presence, requeue
from escalation.backends import outage_safe
from escalation.models import Handoff


@shared_task(acks_late=True, time_limit=60)
def console_sweep() -> dict[str, int]:
    """Periodic (beat): expire silent presence, then release cases left without an answer.
    Both steps are idempotent, so a second delivery changes nothing."""
    expired = presence.presence_expire()
    released = requeue.cases_release_stale()
    return {"expired": expired, "released": len(released)}


@shared_task(time_limit=30)
def handoff_created_broadcast(handoff_id: int) -> None:
    """Renders the handoff as it is when the task runs: a second delivery sends the same
    state again, which the screens swap in place."""
    broadcast.handoff_created(handoff_id)


# A reaction to the domain's events, on commit (subscribed in apps.py).
def handoff_created_queue(*, handoff: Handoff) -> None:
    """Rendering the new case for every screen and sending it (about 14 ms under load) runs in
    the worker, not in the request that handed off, whose answer the bot is waiting for. The
    broker is the channel layer's Redis: when it is away, neither would have reached a screen,
    and the queue screens re-read the queue when their socket opens again."""
    outage_safe.task_send(handoff_created_broadcast, handoff.pk)
