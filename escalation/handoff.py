"""Handoffs: the state changes that move a conversation from the AI to a human and back."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from escalation import conversations, events
from escalation.capacity import capacity_estimate
from escalation.idempotency import create_once
from escalation.models import Conversation, Handoff, Message
from escalation.summary import summary_write


class HandoffAlreadyOpen(Exception):
    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff
        super().__init__(f"Handoff {handoff.pk} is already open for this conversation.")


def handoff_create(
    *,
    conversation: Conversation,
    external_id: str | None = None,
    summary: str = "",
    reason: str = "",
    triggers: list[dict[str, Any]] | None = None,
) -> tuple[Handoff, bool]:
    """Queue the conversation for a human with its packet; at most one open handoff each."""

    def create() -> Handoff:
        locked = (
            Conversation.objects.select_for_update()
            .select_related("customer")
            .get(pk=conversation.pk)
        )
        current = locked.handoffs.filter(status__in=Handoff.OPEN_STATUSES).first()
        if current is not None:
            raise HandoffAlreadyOpen(current)
        now = timezone.now()
        handoff = Handoff.objects.create(
            conversation=locked,
            external_id=external_id,
            estimated_wait_seconds=capacity_estimate().estimated_wait_seconds,
            identity=locked.customer.identity_snapshot(),
            summary=summary.strip() or summary_write(conversation=locked),
            reason=reason,
            actions=[action.snapshot() for action in locked.actions.all()],
            triggers=triggers or [],
            queued_at=now,
        )
        Conversation.objects.filter(pk=locked.pk).update(
            status=Conversation.Status.QUEUED, updated_at=now, held_soft_signals=0
        )
        conversations.message_add(
            conversation=locked,
            sender=Message.Sender.SYSTEM,
            text="Handed off to a human agent" + (f": {reason}" if reason else "."),
            sent_at=now,
        )
        events.handoff_created(handoff)
        return handoff

    if external_id is None:
        with transaction.atomic():
            return create(), True
    return create_once(
        Handoff, lookup={"conversation": conversation, "external_id": external_id}, create=create
    )


class HandoffUnavailable(Exception):
    """Someone else claimed it first, or it is no longer waiting."""


def handoff_claim(*, handoff: Handoff, agent: Any) -> Handoff:
    """Give a queued handoff to one agent; the conditional UPDATE lets exactly one claim win."""
    with transaction.atomic():
        now = timezone.now()
        won = Handoff.objects.filter(pk=handoff.pk, status=Handoff.Status.QUEUED).update(
            status=Handoff.Status.CLAIMED, claimed_by=agent, claimed_at=now
        )
        if not won:
            raise HandoffUnavailable("This case was already taken by another agent.")
        Conversation.objects.filter(pk=handoff.conversation_id).update(
            status=Conversation.Status.WITH_AGENT, updated_at=now
        )
        name = agent.get_full_name() or agent.get_username()
        handoff.refresh_from_db()
        conversations.message_add(
            conversation=handoff.conversation,
            sender=Message.Sender.SYSTEM,
            text=f"{name} from support has joined and can see the conversation so far.",
            sent_at=now,
        )
        events.handoff_claimed(handoff)
    return handoff


def handoff_resolve(*, handoff: Handoff, agent: Any, resolution: str, note: str = "") -> Handoff:
    """Close a claimed handoff with its outcome; a second resolve changes nothing."""
    with transaction.atomic():
        now = timezone.now()
        done = Handoff.objects.filter(
            pk=handoff.pk, status=Handoff.Status.CLAIMED, claimed_by=agent
        ).update(
            status=Handoff.Status.RESOLVED,
            resolved_at=now,
            resolution=resolution,
            resolution_note=note,
        )
        if not done:
            raise HandoffUnavailable("Only the agent working an open case can resolve it.")
        Conversation.objects.filter(pk=handoff.conversation_id).update(
            status=Conversation.Status.RESOLVED, updated_at=now
        )
        handoff.refresh_from_db()
        conversations.message_add(
            conversation=handoff.conversation,
            sender=Message.Sender.SYSTEM,
            text="The conversation was marked resolved.",
            sent_at=now,
        )
        events.handoff_resolved(handoff)
    return handoff
