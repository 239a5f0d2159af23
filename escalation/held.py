"""Soft signals the AI held back before a handoff: a soft trigger fired (on a customer turn,
an AI turn or a draft the bot evaluated) and the conversation stayed with the AI, because no
agent could take it then. Each is recorded where the held signal is counted; the agent who
gets the case sees them all, not only the trigger that fired last."""

from django.utils import timezone

from escalation import triggers
from escalation.models import Handoff, HeldSignal

NO_AGENT = "no agent was available"


def signals_hold(
    *, conversation_id: int, results: list[triggers.TriggerResult], point: int | None
) -> None:
    """Record the fired soft signals of a held decision, inside the caller's transaction. Once
    per kind and point (see HeldSignal): asked again at the same point, nothing is added."""
    now = timezone.now()
    HeldSignal.objects.bulk_create(
        [
            HeldSignal(
                conversation_id=conversation_id,
                kind=result.kind,
                at=now,
                score=result.score,
                threshold=result.threshold,
                evidence=result.evidence,
                why=NO_AGENT,
                point=point or 0,
            )
            for result in results
            if result.fired and not result.is_hard
        ],
        ignore_conflicts=True,
    )


def held_signals(*, handoff: Handoff) -> list[HeldSignal]:
    """Held back in the handoff's conversation since the AI last had it back (the end of the
    previous handoff there, if any) and until this one was queued, oldest first. Two queries."""
    previous_end = handoff.previous_end()
    held = HeldSignal.objects.filter(
        conversation_id=handoff.conversation_id, at__lte=handoff.queued_at
    )
    if previous_end is not None:
        held = held.filter(at__gt=previous_end)
    return list(held.order_by("at", "id"))
