"""Nothing waits in limbo: a claimed case whose agent went away, or has not answered the
customer within the reply timeout (ConsoleSettings), goes back to the queue."""

from datetime import timedelta
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from agents_console.models import ConsoleSettings
from escalation.handoff import HandoffUnavailable, agent_name, handoff_release
from escalation.models import AgentProfile, Handoff, Message


def cases_release_stale(*, now: Any = None) -> list[int]:
    """Release every stale claimed case; returns the released handoff ids. Safe to run on
    several workers at once: handoff_release's conditional UPDATE lets one of them win."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=ConsoleSettings.current().agent_reply_timeout_minutes)
    away = set(
        AgentProfile.objects.filter(presence=AgentProfile.Presence.AWAY).values_list(
            "user_id", flat=True
        )
    )
    claimed = (
        Handoff.objects.filter(status=Handoff.Status.CLAIMED)
        .select_related("claimed_by")
        .annotate(
            last_agent_at=Max(
                "conversation__messages__sent_at",
                filter=Q(conversation__messages__sender=Message.Sender.AGENT),
            ),
            last_customer_at=Max(
                "conversation__messages__sent_at",
                filter=Q(conversation__messages__sender=Message.Sender.CUSTOMER),
            ),
        )
    )
    released = []
    for handoff in claimed:
        waiting_since = unanswered_since(handoff)
        # The reason names the agent: the audit trail records the system as the actor.
        agent = agent_name(handoff.claimed_by)
        if handoff.claimed_by_id in away:
            reason = f"{agent} was away"
        elif waiting_since is not None and waiting_since < cutoff:
            reason = f"{agent} did not answer in time"
        else:
            continue
        try:
            handoff_release(handoff=handoff, reason=reason)
        except HandoffUnavailable:
            continue
        released.append(handoff.pk)
    return released


def unanswered_since(handoff: Any) -> Any:
    """Since when the customer has been waiting for the agent, or None if they are not."""
    last_agent = handoff.last_agent_at
    if last_agent is None or last_agent < handoff.claimed_at:
        return handoff.claimed_at
    last_customer = handoff.last_customer_at
    if last_customer is not None and last_customer > last_agent:
        return last_customer
    return None
