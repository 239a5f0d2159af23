from celery import shared_task
from django.conf import settings

from escalation.models import Handoff
from surveys import indicators, links


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def outcome_compute(handoff_id: int) -> None:
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is not None:
        indicators.outcome_compute(handoff=handoff)


@shared_task(time_limit=600, soft_time_limit=540)
def outcomes_recompute_open() -> int:
    """Periodic: settle first-contact resolution as come-back windows close."""
    return indicators.outcomes_recompute(only_open=True)


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def survey_send(handoff_id: int) -> None:
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is not None:
        links.survey_send(handoff=handoff)


def after_handoff_created(handoff_id: int) -> None:
    """Called on commit of a new handoff: note whether anyone was there to take it."""
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is not None:
        indicators.outcome_start(handoff=handoff)


def after_handoff_resolved(handoff_id: int) -> None:
    """Called on commit of a resolution: judge the transcript and, later, ask the customer."""
    outcome_compute.delay(handoff_id)
    survey_send.apply_async((handoff_id,), countdown=settings.SURVEY_DELAY_SECONDS)
