"""Soft signals the AI held back before a handoff: each one a stored decision (on a customer
turn or an AI draft) in which a soft trigger fired and the conversation stayed with the AI,
because no agent could take it then. The agent who gets the case sees them all, not only the
trigger that fired last."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escalation import triggers
from escalation.models import Handoff, Message

NO_AGENT = "no agent was available"


@dataclass(frozen=True)
class HeldSignal:
    kind: str
    at: datetime
    score: float | None
    threshold: float | None
    evidence: str
    why: str


def signals_held_in(*, at: datetime, decision: Any) -> list[HeldSignal]:
    """The soft signals one stored decision held back (none when it handed off). A decision
    says so itself (`held`); one stored before it did counts when a soft trigger fired and
    nothing was handed off."""
    if not isinstance(decision, dict) or decision.get("escalate"):
        return []
    if not decision.get("held", "held" not in decision):
        return []
    why = str(decision.get("held_reason") or NO_AGENT)
    return [
        HeldSignal(
            kind=str(trigger["kind"]),
            at=at,
            score=trigger.get("score"),
            threshold=trigger.get("threshold"),
            evidence=str(trigger.get("evidence") or ""),
            why=why,
        )
        for trigger in decision.get("triggers") or []
        if isinstance(trigger, dict)
        and trigger.get("fired")
        and trigger.get("kind") in triggers.SOFT_KINDS
    ]


def held_signals(*, handoff: Handoff) -> list[HeldSignal]:
    """Held back in the handoff's conversation since the AI last had it back (the end of the
    previous handoff there, if any) and until this one was queued, oldest first. Two queries."""
    previous_end = handoff.previous_end()
    decisions = Message.objects.filter(
        conversation_id=handoff.conversation_id,
        sent_at__lte=handoff.queued_at,
        decision__escalate=False,
    )
    if previous_end is not None:
        decisions = decisions.filter(sent_at__gt=previous_end)
    return [
        signal
        for at, decision in decisions.order_by("sent_at", "id").values_list("sent_at", "decision")
        for signal in signals_held_in(at=at, decision=decision)
    ]
