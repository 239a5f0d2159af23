"""Handoffs: the state changes that move a conversation from the AI to a human and back."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from escalation import events, transcript
from escalation.capacity import Capacity, capacity_estimate
from escalation.idempotency import AlreadyStored, create_once, fields_changed
from escalation.models import (
    AgentProfile,
    AIAction,
    Conversation,
    Disposition,
    Handoff,
    Message,
    Team,
)
from escalation.redaction import secrets_mask
from escalation.summary import summary_write
from escalation.team_routing import team_route


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
    team: Team | None = None,
    capacity: Capacity | None = None,
    is_locked_with_ai: bool = False,
    retry_must_match: bool = False,
    actions: list[AIAction] | None = None,
    customer_texts: list[str] | None = None,
    has_handoffs: bool | None = None,
) -> tuple[Handoff, bool]:
    """Queue the conversation for a human with its packet; at most one open handoff each.
    With no team named, the policy's routing rules choose one, else the default team. A retry
    (the same external_id) answers the first handoff; with `retry_must_match`, one with
    another summary, reason or team is refused: IdempotencyConflict.

    A decision hands off from inside its transaction: it routed the case already (`team`,
    None for no team) and estimated that team's wait (`capacity`, the same estimate its
    notice quotes; given, it says the case is routed), and it holds the conversation's lock
    while the conversation is with the AI (`is_locked_with_ai`: no handoff can be open). What
    it read of the conversation is not read again: the AI's `actions`, everything the customer
    said (`customer_texts`), and whether it had ever had a case (`has_handoffs`)."""

    def create() -> Handoff:
        if is_locked_with_ai:
            locked = conversation
        else:
            locked = (
                Conversation.objects.select_for_update()
                .select_related("customer")
                .get(pk=conversation.pk)
            )
            current = locked.handoffs.filter(status__in=Handoff.OPEN_STATUSES).first()
            if current is not None:
                if external_id is not None and current.external_id == external_id:
                    raise AlreadyStored(current)  # a retry that waited for the first to commit
                raise HandoffAlreadyOpen(current)
        now = timezone.now()
        tried = list(locked.actions.all()) if actions is None else actions
        routed_to = team
        if team is None and capacity is None:
            routed_to = team_route(
                conversation=locked,
                triggers=triggers or [],
                action_names={action.name for action in tried},
            )
        wait = (capacity or capacity_estimate(team=routed_to)).estimated_wait_seconds
        handoff = Handoff.objects.create(
            conversation=locked,
            external_id=external_id,
            estimated_wait_seconds=wait,
            identity=locked.customer.identity_snapshot(),
            summary=secrets_mask(summary.strip())
            or summary_write(
                conversation=locked,
                actions=tried,
                customer_texts=customer_texts,
                may_have_handback_note=has_handoffs is not False,
            ),
            summary_source=(
                Handoff.SummarySource.BOT if summary.strip() else Handoff.SummarySource.EXTRACT
            ),
            reason=secrets_mask(reason),
            actions=[action.snapshot() for action in tried],
            triggers=triggers or [],
            team=routed_to,
            queued_at=now,
        )
        Conversation.objects.filter(pk=locked.pk).update(
            status=Conversation.Status.QUEUED,
            updated_at=now,
            held_soft_signals=0,
            last_held_point=None,
            handed_back_at=None,
        )
        # The customer sees this line too: the reason (rules, scores) stays on the case screen.
        transcript.message_add(
            conversation=locked,
            sender=Message.Sender.SYSTEM,
            text="Handed off to a human agent.",
            sent_at=now,
            has_handoffs=has_handoffs,  # as before this case: its own screen is not open yet
        )
        events.handoff_created(handoff)
        return handoff

    if is_locked_with_ai and external_id is None:
        return create(), True  # inside the caller's transaction
    if external_id is None:
        with transaction.atomic():
            return create(), True

    def changed(stored: Handoff) -> list[str]:
        expected: dict[str, Any] = {"reason": secrets_mask(reason)}
        if summary.strip():  # else the system wrote one
            expected["summary"] = secrets_mask(summary.strip())
        if team is not None:  # else routing chose one
            expected["team"] = team
        return fields_changed(stored, expected)

    return create_once(
        Handoff,
        lookup={"conversation": conversation, "external_id": external_id},
        create=create,
        changed=changed if retry_must_match else None,
    )


class HandoffUnavailable(Exception):
    """Someone else claimed it first, or it is no longer waiting."""


class AgentAtCapacity(HandoffUnavailable):
    """The agent already holds as many cases as their profile allows."""


class NotCaseOwner(HandoffUnavailable):
    """Only the agent who holds a case may act on it as its owner."""


def agent_name(agent: Any) -> str:
    return agent.get_full_name() or agent.get_username()


def agent_lock_capacity(*, agent: Any) -> AgentProfile:
    """Lock the agent's profile row (inside the caller's transaction) and check their load, so
    two claims by the same agent cannot both squeeze under the limit."""
    AgentProfile.objects.get_or_create(user=agent)
    profile = AgentProfile.objects.select_for_update().get(user=agent)
    refusal = agent_capacity_refusal(agent=agent, profile=profile)
    if refusal:
        raise AgentAtCapacity(refusal)
    return profile


def agent_capacity_refusal(*, agent: Any, profile: AgentProfile) -> str:
    """Why the agent may take no further case, or "" when they may."""
    load = Handoff.objects.filter(claimed_by=agent, status=Handoff.Status.CLAIMED).count()
    if load < profile.max_concurrent_cases:
        return ""
    return (
        f"{agent_name(agent)} already holds {load} case(s), the most allowed "
        f"({profile.max_concurrent_cases}). Resolve or return one first."
    )


def joined_text(agent: Any) -> str:
    return f"{agent_name(agent)} from support has joined and can see the conversation so far."


def handoff_moved(
    *,
    handoff: Handoff,
    now: Any,
    conversation_status: str,
    text: str,
    actor: Any,
    kind: str,
    detail: str = "",
) -> None:
    """The common end of every move of a case: the conversation follows, the transcript says
    so to both sides, and the audit trail records who did it."""
    Conversation.objects.filter(pk=handoff.conversation_id).update(
        status=conversation_status, updated_at=now
    )
    handoff.refresh_from_db()
    transcript.message_add(
        conversation=handoff.conversation, sender=Message.Sender.SYSTEM, text=text, sent_at=now
    )
    events.handoff_acted_on(handoff=handoff, actor=actor, kind=kind, detail=detail)


def unavailable_text(handoff_id: int) -> str:
    """Why a case cannot be claimed, naming who holds it when someone does."""
    holder = (
        Handoff.objects.filter(pk=handoff_id, status=Handoff.Status.CLAIMED)
        .select_related("claimed_by")
        .first()
    )
    if holder is None or holder.claimed_by is None:
        return "This case is no longer waiting for an agent."
    return f"This case was already taken by {agent_name(holder.claimed_by)}."


def handoff_claim(*, handoff: Handoff, agent: Any) -> Handoff:
    """Give a queued handoff to one agent; the conditional UPDATE lets exactly one claim win."""
    with transaction.atomic():
        agent_lock_capacity(agent=agent)
        now = timezone.now()
        won = Handoff.objects.filter(pk=handoff.pk, status=Handoff.Status.QUEUED).update(
            status=Handoff.Status.CLAIMED, claimed_by=agent, claimed_at=now
        )
        if not won:
            raise HandoffUnavailable(unavailable_text(handoff.pk))
        handoff_moved(
            handoff=handoff,
            now=now,
            conversation_status=Conversation.Status.WITH_AGENT,
            text=joined_text(agent),
            actor=agent,
            kind="claimed",
        )
        events.handoff_claimed(handoff)
    return handoff


def handoff_assign(*, handoff: Handoff, agent: Any, by: Any) -> Handoff:
    """A supervisor gives an open case to an agent (or moves it to another one); the agent's
    capacity still holds."""
    with transaction.atomic():
        agent_lock_capacity(agent=agent)
        now = timezone.now()
        moved = (
            Handoff.objects.filter(pk=handoff.pk, status__in=Handoff.OPEN_STATUSES)
            .exclude(claimed_by=agent)
            .update(status=Handoff.Status.CLAIMED, claimed_by=agent, claimed_at=now)
        )
        if not moved:
            raise HandoffUnavailable("This case is closed, or that agent already holds it.")
        handoff_moved(
            handoff=handoff,
            now=now,
            conversation_status=Conversation.Status.WITH_AGENT,
            text=joined_text(agent),
            actor=by,
            kind="assigned",
            detail=f"to {agent_name(agent)}",
        )
        events.handoff_claimed(handoff)
    return handoff


def handoff_take_over(*, handoff: Handoff, agent: Any, from_agent_id: int) -> Handoff:
    """Another agent takes a claimed case from the one holding it, after confirming whom they
    take it from: if the case moved in between, the confirmation no longer holds and nothing
    changes. Both sides see it in the transcript, and the audit trail keeps who took it from
    whom."""
    with transaction.atomic():
        agent_lock_capacity(agent=agent)
        now = timezone.now()
        moved = (
            Handoff.objects.filter(
                pk=handoff.pk, status=Handoff.Status.CLAIMED, claimed_by_id=from_agent_id
            )
            .exclude(claimed_by=agent)
            .update(claimed_by=agent, claimed_at=now)
        )
        if not moved:
            raise HandoffUnavailable(
                "The case changed hands meanwhile: nothing was taken over. Check who holds it now."
            )
        handoff_moved(
            handoff=handoff,
            now=now,
            conversation_status=Conversation.Status.WITH_AGENT,
            text=f"{agent_name(agent)} from support has taken over the conversation.",
            actor=agent,
            kind="taken_over",
            detail=f"from {agent_name(get_user_model().objects.get(pk=from_agent_id))}",
        )
        events.handoff_claimed(handoff)
    return handoff


def handoff_reply(*, handoff: Handoff, agent: Any, text: str) -> Message:
    """The agent holding the case answers the customer, in the same conversation."""
    with transaction.atomic():
        locked = (
            Handoff.objects.select_for_update().select_related("conversation").get(pk=handoff.pk)
        )
        if locked.status != Handoff.Status.CLAIMED or locked.claimed_by_id != agent.pk:
            raise NotCaseOwner(
                "Only the agent who claimed this case can reply to the customer. "
                "Claim it first, or take it over (you will be asked to confirm)."
            )
        message = transcript.message_add(
            conversation=locked.conversation,
            sender=Message.Sender.AGENT,
            text=text,
            agent=agent,
        )
        events.handoff_acted_on(handoff=locked, actor=agent, kind="replied")
    return message


def handoff_resolve(
    *,
    handoff: Handoff,
    agent: Any,
    resolution: str,
    note: str = "",
    disposition: Disposition | None = None,
) -> Handoff:
    """Close a claimed handoff with its outcome and the kind of problem it was; a second
    resolve changes nothing."""
    note = secrets_mask(note)
    with transaction.atomic():
        now = timezone.now()
        done = Handoff.objects.filter(
            pk=handoff.pk, status=Handoff.Status.CLAIMED, claimed_by=agent
        ).update(
            status=Handoff.Status.RESOLVED,
            resolved_at=now,
            resolution=resolution,
            resolution_note=note,
            disposition=disposition,
        )
        if not done:
            raise HandoffUnavailable("Only the agent working an open case can resolve it.")
        handoff_moved(
            handoff=handoff,
            now=now,
            conversation_status=Conversation.Status.RESOLVED,
            text="The conversation was marked resolved.",
            actor=agent,
            kind="resolved",
            detail=Handoff.Resolution(resolution).label
            + (f" ({disposition})" if disposition else "")
            + (f": {note}" if note else ""),
        )
        events.handoff_resolved(handoff)
    return handoff


def handoff_release(
    *, handoff: Handoff, reason: str, actor: Any = None, owner_only: bool = False
) -> Handoff:
    """Put a claimed case back in the queue (its agent gave it back, went away, or did not
    answer in time); both sides are told."""
    with transaction.atomic():
        now = timezone.now()
        filters: dict[str, Any] = {"pk": handoff.pk, "status": Handoff.Status.CLAIMED}
        if owner_only:
            filters["claimed_by"] = actor
        released = Handoff.objects.filter(**filters).update(
            status=Handoff.Status.QUEUED, claimed_by=None, claimed_at=None
        )
        if not released:
            raise HandoffUnavailable("Only a case its agent still holds can go back to the queue.")
        handoff_moved(
            handoff=handoff,
            now=now,
            conversation_status=Conversation.Status.QUEUED,
            text=f"The case is back in the queue ({reason}); the next available agent will "
            "pick it up with the conversation so far.",
            actor=actor,
            kind="released",
            detail=reason,
        )
        events.handoff_returned(handoff)
    return handoff


# What the customer sees of a hand-back. The agent's note is for the assistant: it stays on the
# handoff (and in the audit trail) and reaches the assistant as context, never the customer.
HANDED_BACK_TEXT = "You're back with the assistant, who can see the conversation so far."


def handoff_hand_back(*, handoff: Handoff, agent: Any, note: str) -> Handoff:
    """Return the conversation to the AI with the agent's note for it. Soft triggers then wait
    for the policy's grace (decisions.handback_grace_applies), so the AI's next unsure reply
    does not send the case straight back to a human in a loop."""
    note = secrets_mask(note)
    with transaction.atomic():
        now = timezone.now()
        done = Handoff.objects.filter(
            pk=handoff.pk, status=Handoff.Status.CLAIMED, claimed_by=agent
        ).update(status=Handoff.Status.RETURNED, resolved_at=now, resolution_note=note)
        if not done:
            raise HandoffUnavailable("Only the agent working an open case can hand it back.")
        handoff.refresh_from_db()
        Conversation.objects.filter(pk=handoff.conversation_id).update(
            status=Conversation.Status.AI, handed_back_at=now, updated_at=now
        )
        transcript.message_add(
            conversation=handoff.conversation,
            sender=Message.Sender.SYSTEM,
            text=HANDED_BACK_TEXT,
            sent_at=now,
        )
        events.handoff_acted_on(handoff=handoff, actor=agent, kind="handed_back", detail=note[:300])
        events.handoff_handed_back(handoff)
    return handoff
