"""The customer's earlier contacts, for the case screen: their earlier cases (when, why, who
handled it, how it ended, what the survey said, whether they had to repeat themselves) and the
conversations the AI handled alone. A fixed number of queries, however long the history."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, OuterRef, Subquery

from escalation.models import Conversation, Handoff, Message

HISTORY_LIMIT = 20


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    handoff: Handoff | None = None  # None: a conversation the AI handled alone
    conversation: Conversation | None = None
    trigger: str = ""
    handled_by: str = ""
    outcome: str = ""
    survey: str = ""  # "helped", "did not help", or "" when unanswered
    repeated: bool | None = None


def related_or_none(obj: object, name: str) -> object | None:
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def case_entry(handoff: Handoff) -> HistoryEntry:
    outcome = related_or_none(handoff, "outcome")
    survey = related_or_none(handoff, "survey")
    fired = [t.get("kind", "") for t in handoff.triggers if t.get("fired")]
    did_help = getattr(survey, "did_help", None)
    if handoff.status == Handoff.Status.RESOLVED:
        ending = handoff.get_resolution_display() or "Resolved"
        if handoff.disposition is not None:
            ending += f" · {handoff.disposition}"
    else:
        ending = handoff.get_status_display()
    agent = handoff.claimed_by
    return HistoryEntry(
        at=handoff.queued_at,
        handoff=handoff,
        trigger=", ".join(filter(None, fired)) or "asked by the bot",
        handled_by=(agent.get_full_name() or agent.get_username()) if agent else "",
        outcome=ending,
        survey="" if did_help is None else ("helped" if did_help else "did not help"),
        repeated=getattr(outcome, "repeated", None),
    )


def customer_history(*, handoff: Handoff) -> list[HistoryEntry]:
    """Newest first: the customer's cases queued before this one, and their conversations
    without a case started before it (two queries)."""
    customer_id = handoff.conversation.customer_id
    cases = (
        Handoff.objects.filter(
            conversation__customer_id=customer_id, queued_at__lt=handoff.queued_at
        )
        .exclude(pk=handoff.pk)
        .select_related("claimed_by", "disposition", "outcome", "survey")
        .order_by("-queued_at")[:HISTORY_LIMIT]
    )
    first_words = (
        Message.objects.filter(conversation=OuterRef("pk"), sender=Message.Sender.CUSTOMER)
        .order_by("id")
        .values("text")[:1]
    )
    ai_only = (
        Conversation.objects.filter(
            customer_id=customer_id, created_at__lt=handoff.queued_at, handoffs__isnull=True
        )
        .exclude(pk=handoff.conversation_id)
        .annotate(message_count=Count("messages"), first_words=Subquery(first_words))
        .order_by("-created_at")[:HISTORY_LIMIT]
    )
    entries = [case_entry(case) for case in cases] + [
        HistoryEntry(
            at=conversation.created_at, conversation=conversation, outcome="with the AI only"
        )
        for conversation in ai_only
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)[:HISTORY_LIMIT]
