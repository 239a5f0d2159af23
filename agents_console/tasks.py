from celery import shared_task

from agents_console import presence, requeue


@shared_task(acks_late=True, time_limit=60)
def console_sweep() -> dict[str, int]:
    """Periodic (beat): expire silent presence, then release cases left without an answer.
    Both steps are idempotent, so a second delivery changes nothing."""
    expired = presence.presence_expire()
    released = requeue.cases_release_stale()
    return {"expired": expired, "released": len(released)}
