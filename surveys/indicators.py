"""The transcript-based indicators of a handover: did the customer repeat themselves to the
human, was it resolved at first contact, and the facts the dashboard groups by.

The judgements are pure functions over plain values; `outcome_start` and `outcome_compute` read a
handoff's transcript, call them, and store the result on its HandoffOutcome."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agents_console.models import AuditEvent
from escalation.detectors.encoder import Vector
from escalation.detectors.restatement import DEFAULT_REPEAT_THRESHOLD, is_restatement, similarity
from escalation.models import AgentProfile, Conversation, Customer, Handoff, Message
from surveys.models import HandoffOutcome, Survey

SOFT_TRIGGER_KINDS = frozenset({"low_confidence", "distress"})
# "ok", "thanks", "yes please" say nothing about the problem, and a short message's words are
# easily all found inside a long one (token-set similarity would call that a perfect match).
MIN_RESTATEMENT_WORDS = 3

# A customer message as the indicators read it: id, text and stored encoding (None: encoded
# when compared).
CustomerMessage = tuple[int, str, Vector | None]


@dataclass(frozen=True, kw_only=True)
class Restatement:
    repeated: bool
    score: float
    before_id: int | None = None
    after_id: int | None = None


def restatement_find(
    *,
    before: Sequence[CustomerMessage],
    after: Sequence[CustomerMessage],
    threshold: float = DEFAULT_REPEAT_THRESHOLD,
    min_words: int = MIN_RESTATEMENT_WORDS,
) -> Restatement:
    """The closest pair (message to the AI, message to the human) by similarity; repeated when
    that pair is a restatement."""
    best = Restatement(repeated=False, score=0.0)
    for after_id, after_text, after_vector in after:
        if len(after_text.split()) < min_words:
            continue
        for before_id, before_text, before_vector in before:
            signal = is_restatement(
                before_text, after_text, before_vector, after_vector, threshold=threshold
            )
            if signal.score > best.score:
                best = Restatement(
                    repeated=signal.fired,
                    score=round(signal.score, 4),
                    before_id=before_id,
                    after_id=after_id,
                )
    return best


def soft_signal_first(*, decisions: Iterable[tuple[datetime, Any]]) -> datetime | None:
    """When a soft trigger first fired without handing off (the decisions in time order)."""
    for sent_at, decision in decisions:
        if not isinstance(decision, dict) or decision.get("escalate"):
            continue
        for trigger in decision.get("triggers") or []:
            if (
                isinstance(trigger, dict)
                and trigger.get("fired")
                and trigger.get("kind") in SOFT_TRIGGER_KINDS
            ):
                return sent_at
    return None


def trigger_kind_of(*, triggers: Any) -> str:
    """The first fired trigger names the handoff; none means the bot handed off by itself."""
    for trigger in triggers or []:
        if isinstance(trigger, dict) and trigger.get("fired") and trigger.get("kind"):
            return str(trigger["kind"])[:30]
    return "bot"


@dataclass(frozen=True, kw_only=True)
class FirstContactFacts:
    status: str
    resolution: str
    claimed_by_id: int | None
    returned_to_queue: bool
    other_agents_wrote: bool
    later_handoff: bool
    came_back: bool
    window_closed: bool


def fcr_judge(facts: FirstContactFacts) -> tuple[bool | None, str]:
    """(first-contact resolved?, why not). None while the come-back window is still open."""
    if facts.status in (Handoff.Status.QUEUED, Handoff.Status.CLAIMED):
        return None, "still open"
    if facts.status == Handoff.Status.RETURNED:
        return False, "returned by the agent"
    if facts.resolution != Handoff.Resolution.RESOLVED:
        return False, f"closed as {facts.resolution or 'unknown'}"
    if facts.claimed_by_id is None:
        return False, "resolved without being claimed"
    if facts.returned_to_queue:
        return False, "returned to the queue before it was resolved"
    if facts.other_agents_wrote:
        return False, "reassigned: another agent worked the case"
    if facts.later_handoff:
        return False, "reopened: handed off again in the same conversation"
    if facts.came_back:
        return False, "the customer came back about the same problem"
    if not facts.window_closed:
        return None, "come-back window still open"
    return True, ""


# ------------------------------------------------------------------------------------------
# Reading the database and storing outcomes
# ------------------------------------------------------------------------------------------


def agents_available_now() -> bool:
    return AgentProfile.objects.filter(presence=AgentProfile.Presence.AVAILABLE).exists()


def outcome_start(*, handoff: Handoff, agents_available: bool | None = None) -> HandoffOutcome:
    """Record what is only knowable when the handoff is created: was anyone there to take it
    (`agents_available`, when it was asked then; else now)."""
    if agents_available is None:
        agents_available = agents_available_now()
    outcome, _ = HandoffOutcome.objects.get_or_create(
        handoff=handoff,
        defaults={
            "agents_available_at_handoff": agents_available,
            "trigger_kind": trigger_kind_of(triggers=handoff.triggers),
            "first_soft_signal_at": _first_soft_signal_at(handoff),
        },
    )
    return outcome


def _customer_messages(handoff: Handoff) -> tuple[list[CustomerMessage], list[CustomerMessage]]:
    messages = Message.objects.filter(
        conversation_id=handoff.conversation_id, sender=Message.Sender.CUSTOMER
    )
    previous = handoff.previous_end()
    before = messages.filter(sent_at__lt=handoff.queued_at)
    if previous is not None:
        # A second handoff in the same conversation is compared with what was said since the first.
        before = before.filter(sent_at__gte=previous)
    after = messages.filter(sent_at__gte=handoff.queued_at)
    if handoff.resolved_at is not None:
        after = after.filter(sent_at__lte=handoff.resolved_at)
    return (
        list(before.order_by("sent_at", "id").values_list("id", "text", "encoding")),
        list(after.order_by("sent_at", "id").values_list("id", "text", "encoding")),
    )


def _first_soft_signal_at(handoff: Handoff) -> datetime | None:
    decisions = (
        Message.objects.filter(
            conversation_id=handoff.conversation_id,
            sent_at__lte=handoff.queued_at,
            decision__isnull=False,
        )
        .order_by("sent_at", "id")
        .values_list("sent_at", "decision")
    )
    return soft_signal_first(decisions=decisions)


def _same_problem(summary: str, texts: Iterable[tuple[str, Vector | None]]) -> bool:
    """Is any of the texts (each with its stored encoding, or None) about the summary's problem?"""
    if not summary.strip():
        return False
    return any(
        len(text.split()) >= MIN_RESTATEMENT_WORDS
        and similarity(summary, text, None, vector) >= DEFAULT_REPEAT_THRESHOLD
        for text, vector in texts
    )


def _came_back(handoff: Handoff, window_closes_at: datetime) -> bool:
    """The same customer, after resolution and within the window, about the same problem in
    another conversation (its customer messages or its handoff's summary). A thank-you in the
    same conversation is not a come-back; a new handoff there counts as reopened instead."""
    assert handoff.resolved_at is not None
    conversation = Conversation.objects.only("customer_id").get(pk=handoff.conversation_id)
    later_messages = (
        Message.objects.filter(
            conversation__customer_id=conversation.customer_id,
            sender=Message.Sender.CUSTOMER,
            sent_at__gt=handoff.resolved_at,
            sent_at__lte=window_closes_at,
        )
        .exclude(conversation_id=handoff.conversation_id)
        .values_list("text", "encoding")
    )
    later_summaries = (
        Handoff.objects.filter(
            conversation__customer_id=conversation.customer_id,
            queued_at__gt=handoff.resolved_at,
            queued_at__lte=window_closes_at,
        )
        .exclude(conversation_id=handoff.conversation_id)
        .values_list("summary", flat=True)
    )
    return _same_problem(handoff.summary, later_messages.iterator()) or _same_problem(
        handoff.summary, ((summary, None) for summary in later_summaries)
    )


def _fcr_facts(handoff: Handoff, *, now: datetime) -> tuple[FirstContactFacts, datetime | None]:
    end = handoff.resolved_at or now
    other_agents_wrote = (
        Message.objects.filter(
            conversation_id=handoff.conversation_id,
            sender=Message.Sender.AGENT,
            sent_at__gte=handoff.queued_at,
            sent_at__lte=end,
        )
        .exclude(agent_id=handoff.claimed_by_id)
        .exclude(agent__isnull=True)
        .exists()
    )
    # The console's audit trail: a release puts the case back in the queue; more than one
    # claim or assignment means it changed hands.
    moves = list(
        AuditEvent.objects.filter(
            handoff=handoff,
            kind__in=[AuditEvent.Kind.CLAIMED, AuditEvent.Kind.ASSIGNED, AuditEvent.Kind.RELEASED],
        ).values_list("kind", flat=True)
    )
    returned_to_queue = AuditEvent.Kind.RELEASED in moves
    other_agents_wrote = (
        other_agents_wrote or len(moves) - moves.count(AuditEvent.Kind.RELEASED) > 1
    )
    later_handoff = (
        Handoff.objects.filter(
            conversation_id=handoff.conversation_id, queued_at__gt=handoff.queued_at
        )
        .exclude(pk=handoff.pk)
        .exists()
    )
    window_closes_at = None
    came_back = False
    if handoff.resolved_at is not None:
        window_closes_at = handoff.resolved_at + timedelta(days=settings.FCR_WINDOW_DAYS)
        came_back = _came_back(handoff, window_closes_at)
    facts = FirstContactFacts(
        status=handoff.status,
        resolution=handoff.resolution,
        claimed_by_id=handoff.claimed_by_id,
        returned_to_queue=returned_to_queue,
        other_agents_wrote=other_agents_wrote,
        later_handoff=later_handoff,
        came_back=came_back,
        window_closed=window_closes_at is not None and now >= window_closes_at,
    )
    return facts, window_closes_at


def outcome_compute(*, handoff: Handoff, now: datetime | None = None) -> HandoffOutcome:
    """Judge the handoff from its transcript and store it; running it again recomputes."""
    now = now or timezone.now()
    handoff = Handoff.objects.select_related("conversation__customer").get(pk=handoff.pk)
    existing = HandoffOutcome.objects.filter(handoff=handoff).first()
    if existing is not None and handoff.conversation.customer.erased_at is not None:
        return existing  # judged before the transcript was erased; the erased text proves nothing
    before, after = _customer_messages(handoff)
    restatement = restatement_find(before=before, after=after)
    facts, window_closes_at = _fcr_facts(handoff, now=now)
    first_contact_resolved, why_not = fcr_judge(facts)
    values: dict[str, Any] = {
        "trigger_kind": trigger_kind_of(triggers=handoff.triggers),
        "first_soft_signal_at": _first_soft_signal_at(handoff),
        # Nothing said to the human yet: not known whether they will repeat themselves.
        "repeated": restatement.repeated if after or handoff.resolved_at else None,
        "repeat_score": restatement.score if restatement.after_id else None,
        "repeat_before_id": restatement.before_id,
        "repeat_after_id": restatement.after_id,
        "first_contact_resolved": first_contact_resolved,
        "fcr_reason": why_not,
        "fcr_window_closes_at": window_closes_at,
        "computed_at": now,
    }
    with transaction.atomic():
        outcome, _ = HandoffOutcome.objects.update_or_create(handoff=handoff, defaults=values)
    return outcome


def came_back_judge(*, conversation_id: int, now: datetime | None = None) -> int:
    """The customer opened another conversation: each of their cases elsewhere still within
    its come-back window, not yet judged, is judged again now (a come-back about the same
    problem settles it as not resolved at first contact). Answers how many were judged."""
    now = now or timezone.now()
    conversation = Conversation.objects.filter(pk=conversation_id).only("customer_id").first()
    if conversation is None:
        return 0
    pending = (
        Handoff.objects.filter(
            conversation__customer_id=conversation.customer_id,
            status=Handoff.Status.RESOLVED,
            resolved_at__gte=now - timedelta(days=settings.FCR_WINDOW_DAYS),
        )
        .exclude(conversation_id=conversation_id)
        .exclude(outcome__first_contact_resolved__isnull=False)
    )
    count = 0
    for handoff in pending:
        outcome_compute(handoff=handoff, now=now)
        count += 1
    return count


def outcomes_recompute(*, only_open: bool = False, now: datetime | None = None) -> int:
    """Recompute every finished handoff's outcome, or (only_open) those whose first-contact
    judgement is still pending; the periodic task closes windows this way."""
    handoffs = Handoff.objects.filter(
        status__in=[Handoff.Status.RESOLVED, Handoff.Status.RETURNED]
    ).order_by("pk")
    if only_open:
        handoffs = handoffs.exclude(outcome__first_contact_resolved__isnull=False)
    count = 0
    for handoff in handoffs.iterator():
        outcome_compute(handoff=handoff, now=now)
        count += 1
    return count


def customer_erase(*, customer: Customer, handoffs: "QuerySet[Handoff]") -> None:
    """The customer's survey answers go; the outcomes stay, settled now from the transcript
    while it is still there (outcome_compute leaves an erased customer's alone after)."""
    for handoff in handoffs.filter(status__in=[Handoff.Status.RESOLVED, Handoff.Status.RETURNED]):
        outcome_compute(handoff=handoff)
    Survey.objects.filter(handoff__in=handoffs).update(email="", comment="")
