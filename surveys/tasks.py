from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from escalation.backends import outage_safe
from escalation.models import Handoff
from surveys import indicators, links


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def outcome_compute(handoff_id: int) -> None:
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is not None:
        indicators.outcome_compute(handoff=handoff)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110)
def came_back_judge(conversation_id: int) -> int:
    """The customer spoke first in a new conversation: judge their recent cases again."""
    return indicators.came_back_judge(conversation_id=conversation_id)


@shared_task(time_limit=600, soft_time_limit=540)
def outcomes_recompute_open() -> int:
    """Periodic: settle first-contact resolution as come-back windows close."""
    return indicators.outcomes_recompute(only_open=True)


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def survey_send(handoff_id: int) -> None:
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is not None:
        links.survey_send(handoff=handoff)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def surveys_sweep() -> int:
    """Surveys overdue (the broker was down at resolution, or a worker died mid-send) are sent
    again; survey_send sends each once."""
    due = timezone.now() - timedelta(
        seconds=settings.SURVEY_DELAY_SECONDS + settings.OVERDUE_SWEEP_SECONDS
    )
    overdue = (
        Handoff.objects.filter(
            status=Handoff.Status.RESOLVED,
            resolved_at__lt=due,
            resolved_at__gt=due - timedelta(days=settings.SURVEY_MAX_AGE_DAYS),
        )
        .filter(Q(survey__isnull=True) | Q(survey__sent_at__isnull=True))
        .values_list("pk", flat=True)[:500]
    )
    for handoff_id in overdue:
        survey_send.delay(handoff_id)
    return len(overdue)


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def outcome_start(handoff_id: int, agents_available: bool) -> None:
    """A second delivery finds the outcome started and changes nothing."""
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is not None:
        indicators.outcome_start(handoff=handoff, agents_available=agents_available)


# Reactions to the domain's events, on commit (subscribed in apps.py).
def after_handoff_created(*, handoff: Handoff) -> None:
    """Note whether anyone was there to take it: asked now, the rest of the outcome's start
    (about 9 ms) in the worker, out of the request that handed off. Lost with the broker, it
    is started when the case is judged (outcome_compute)."""
    outage_safe.task_send(outcome_start, handoff.pk, indicators.agents_available_now())


def after_handoff_resolved(*, handoff: Handoff) -> None:
    """Judge the transcript and, later, ask the customer."""
    outage_safe.task_send(outcome_compute, handoff.pk)
    outage_safe.task_send(survey_send, handoff.pk, countdown=settings.SURVEY_DELAY_SECONDS)


def after_handoff_returned(*, handoff: Handoff) -> None:
    outage_safe.task_send(outcome_compute, handoff.pk)


def came_back_judge_queue(*, conversation_id: int) -> None:
    outage_safe.task_send(came_back_judge, conversation_id)
