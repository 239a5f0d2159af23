"""The answer after each event: escalate or continue, and why. Gathers the conversation's state,
asks the triggers, weighs soft signals against current capacity, and hands off when it must."""

import json
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from escalation import handoff as handoffs
from escalation import triggers
from escalation.capacity import Capacity, capacity_estimate, policy_and_capacity, soft_thresholds
from escalation.held import signals_hold
from escalation.models import (
    ActionLimit,
    AIAction,
    AuthorisedAction,
    Conversation,
    Handoff,
    Message,
    TriggerPolicy,
)
from escalation.payloads import handoff_payload
from escalation.team_routing import team_route

TRANSCRIPT_WINDOW = 40  # the turns the triggers look back over


def open_handoff(conversation: Conversation) -> Handoff | None:
    return (
        conversation.handoffs.filter(status__in=Handoff.OPEN_STATUSES)
        .select_related("claimed_by")
        .first()
    )


def json_safe(payload: dict[str, Any]) -> dict[str, Any]:
    """The decision is stored with the event and answered again on a retry: keep it as JSON so
    both answers are the same bytes."""
    result: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return result


def customer_notice(capacity: Capacity | None) -> str:
    """What the customer is told at the handoff: the honest wait, and that nothing is lost."""
    promise = "They'll see everything we discussed, so you won't need to repeat yourself."
    if capacity is None or capacity.estimated_wait_seconds is None:
        return (
            "No one from our support team is available right now. Your conversation is queued "
            f"and a person will reply as soon as they can. {promise}"
        )
    wait = capacity.estimated_wait_seconds
    if wait < 60:
        return f"I'm bringing in a person from our support team now. {promise}"
    minutes = math.ceil(wait / 60)
    if capacity.queue_position == 1:
        line = "you're next in line"
    else:
        line = f"you're number {capacity.queue_position} in line"
    return f"All our agents are busy; {line}, about {minutes} minutes. {promise}"


@dataclass(frozen=True)
class Verdict:
    escalate: bool
    held: bool  # a soft signal fired but capacity held it back


def verdict_reach(
    *, results: list[triggers.TriggerResult], capacity: Capacity, held_before: int, max_held: int
) -> Verdict:
    """Hard triggers always hand off. Soft ones hand off when someone can take the case; with no
    one available they are held back, until too many have been held (the AI has tried too long)."""
    fired = [r for r in results if r.fired]
    if any(r.is_hard for r in fired):
        return Verdict(escalate=True, held=False)
    if not fired:
        return Verdict(escalate=False, held=False)
    if capacity.available_agents > 0 or held_before >= max_held:
        return Verdict(escalate=True, held=False)
    return Verdict(escalate=False, held=True)


@dataclass(frozen=True)
class Weighing:
    """The results as reported (soft ones within a hand-back's grace do not fire), the verdict,
    the soft signals held back so far (this one included when it is held), and the point in
    the conversation a held signal stands at (to count it once)."""

    results: list[triggers.TriggerResult]
    verdict: Verdict
    held_count: int
    point: int | None


def signal_point(conversation: Conversation, *, turn: Message | None) -> int:
    """Where a soft signal stands: the last message stored before the scored turn, or before
    the draft (`turn` None or unsaved). A draft /evaluate held and the same reply then sent
    stand at the same point, and so does a retried /evaluate."""
    earlier = Message.objects.filter(conversation_id=conversation.pk)
    if turn is not None and turn.pk is not None:
        earlier = earlier.filter(pk__lt=turn.pk)
    point: int | None = earlier.aggregate(point=Max("pk"))["point"]
    return point or 0


def handback_grace_applies(
    *, conversation: Conversation, policy: TriggerPolicy, turn: Message | None
) -> bool:
    """Within the policy's grace after an agent handed the conversation back: until both the
    grace minutes and the customer's grace turns (this one included) have passed. An AI turn
    or draft belongs to the customer turn it answers."""
    since = conversation.handed_back_at
    if since is None:
        return False
    if timezone.now() < since + timedelta(minutes=policy.handback_grace_minutes):
        return True
    turns = Message.objects.filter(
        conversation_id=conversation.pk, sender=Message.Sender.CUSTOMER, created_at__gt=since
    )
    if turn is not None and turn.pk is not None:
        turns = turns.filter(pk__lte=turn.pk)
    unsaved = turn is not None and turn.pk is None and turn.sender == Message.Sender.CUSTOMER
    return max(turns.count() + unsaved, 1) <= policy.handback_grace_turns


def results_weigh(
    *,
    conversation: Conversation,
    results: list[triggers.TriggerResult],
    capacity: Capacity,
    policy: TriggerPolicy,
    turn: Message | None = None,
) -> Weighing:
    """Weigh the triggers' results for a turn (`turn`) or a draft: soft signals alone wait
    during a hand-back's grace, else they are held against capacity and the guard."""
    fired = [r for r in results if r.fired]
    held_before = conversation.held_soft_signals
    point = None
    if fired and not any(r.is_hard for r in fired):
        if handback_grace_applies(conversation=conversation, policy=policy, turn=turn):
            results = triggers.handback_graced(results)
        else:
            point = signal_point(conversation, turn=turn)
            if point == conversation.last_held_point:  # already counted
                held_before = max(held_before - 1, 0)
    verdict = verdict_reach(
        results=results,
        capacity=capacity,
        held_before=held_before,
        max_held=policy.max_held_soft_signals,
    )
    return Weighing(results, verdict, held_before + verdict.held, point)


def held_signal_count(*, conversation: Conversation, weighing: Weighing) -> None:
    """Count a held soft signal once, and record it for the case (inside the caller's
    transaction, under its lock)."""
    if not weighing.verdict.held:
        return
    signals_hold(conversation_id=conversation.pk, results=weighing.results, point=weighing.point)
    if weighing.point == conversation.last_held_point:
        return
    Conversation.objects.filter(pk=conversation.pk).update(
        held_soft_signals=F("held_soft_signals") + 1,
        last_held_point=weighing.point,
        first_soft_signal_at=Coalesce(F("first_soft_signal_at"), Now()),
    )


def decision_payload(
    *,
    conversation: Conversation,
    triggers: list[dict[str, Any]],
    handoff: Handoff | None,
    capacity: Capacity | None = None,
    held: bool = False,
    held_count: int = 0,
) -> dict[str, Any]:
    """`escalate` is true while the conversation is with (or waiting for) a human (`handoff`,
    its open handoff): the AI must not answer the customer itself then. `held`: a soft signal
    fired and was held back for lack of an agent; `held_count`, how many have been so far."""
    return json_safe(
        {
            "escalate": handoff is not None,
            "triggers": triggers,
            "handoff": handoff_payload(handoff) if handoff else None,
            "estimated_wait_seconds": handoff.estimated_wait_seconds if handoff else None,
            "customer_notice": customer_notice(capacity) if handoff else None,
            "held": held,
            "held_count": held_count,
        }
    )


def recent_turns(
    conversation: Conversation, *, until: Message | None = None
) -> list[triggers.Turn]:
    """The last turns up to `until`, since an agent last handed the conversation back (what
    came before, the agent dealt with: re-asks from then must not fire again once the grace is
    over). An unsaved `until`, a turn about to be stored, comes after the stored ones."""
    unsaved: list[triggers.Turn] = []
    stored = Message.objects.filter(conversation_id=conversation.pk)
    if until is not None and until.pk is None:
        unsaved = [triggers.Turn(until.sender, until.text, until.confidence, until.encoding)]
    elif until is not None:
        stored = stored.filter(pk__lte=until.pk)
    if conversation.handed_back_at is not None:
        stored = stored.filter(created_at__gt=conversation.handed_back_at)
    rows = stored.order_by("-pk").values_list("sender", "text", "confidence", "encoding")
    latest = [triggers.Turn(*row) for row in rows[: TRANSCRIPT_WINDOW - len(unsaved)]]
    return [*reversed(latest), *unsaved]


def results_for_message(
    *,
    conversation: Conversation,
    message: Message,
    thresholds: triggers.Thresholds,
    turns: list[triggers.Turn] | None = None,
) -> list[triggers.TriggerResult]:
    """`turns`: the recent turns up to a customer's `message`, when the caller read them."""
    if message.sender == Message.Sender.CUSTOMER:
        if turns is None:
            turns = recent_turns(conversation, until=message)
        return triggers.triggers_for_customer_turn(turns=turns, thresholds=thresholds)
    if message.sender == Message.Sender.AI:
        return [
            triggers.low_confidence(
                confidence=message.confidence, threshold=thresholds.low_confidence
            )
        ]
    return []


def customer_texts_all(
    *, conversation: Conversation, message: Message, turns: list[triggers.Turn]
) -> list[str] | None:
    """Everything the customer has said, from the recent turns up to an unsaved `message`,
    when those are the whole conversation (no hand-back cut them, the window is not full);
    else None."""
    if message.pk is not None or conversation.handed_back_at is not None:
        return None
    if len(turns) >= TRANSCRIPT_WINDOW:
        return None
    return [turn.text for turn in turns if turn.sender == Message.Sender.CUSTOMER]


def decide_and_act(
    *,
    conversation: Conversation,
    weighing: Weighing,
    capacity: Capacity,
    policy: TriggerPolicy,
    summary: str = "",
    customer_texts: list[str] | None = None,
    has_handoffs: bool | None = None,
) -> dict[str, Any]:
    """Hand off (or count a held soft signal) as the weighing says, inside the caller's
    transaction and under its lock on the conversation, and answer the decision. `summary` is
    the AI's own, when it wrote one. The conversation is with the AI, so no handoff is open
    unless this one makes it. `customer_texts` and `has_handoffs`: what the caller knows of
    the conversation, for the handoff (handoff_create)."""
    held_signal_count(conversation=conversation, weighing=weighing)
    handoff = None
    if weighing.verdict.escalate:
        fired = [r.as_dict() for r in weighing.results if r.fired]
        actions = list(conversation.actions.all())  # read once: routing, summary, snapshot
        team = team_route(
            conversation=conversation,
            triggers=fired,
            action_names={action.name for action in actions},
        )
        # The customer is told their place in the line the case joins, as it is now; the
        # handoff keeps the same wait.
        capacity = capacity_estimate(team=team, handle=capacity.median_handle_seconds)
        handoff, _ = handoffs.handoff_create(
            conversation=conversation,
            triggers=fired,
            reason="; ".join(r.evidence for r in weighing.results if r.fired),
            summary=summary,
            team=team,
            capacity=capacity,
            is_locked_with_ai=True,
            actions=actions,
            customer_texts=customer_texts,
            has_handoffs=has_handoffs,
        )
    return decision_payload(
        conversation=conversation,
        triggers=[r.as_dict() for r in weighing.results],
        capacity=capacity,
        handoff=handoff,
        held=weighing.verdict.held,
        held_count=weighing.held_count,
    )


def already_with_human(conversation: Conversation) -> bool:
    return conversation.status in (Conversation.Status.QUEUED, Conversation.Status.WITH_AGENT)


@dataclass(frozen=True)
class Scored:
    """A turn's triggers weighed, with the policy and capacity they were weighed against, and
    everything the customer has said when the turns read for it were all of them."""

    weighing: Weighing
    capacity: Capacity
    policy: TriggerPolicy
    customer_texts: list[str] | None = None


def message_scored(
    *, conversation: Conversation, message: Message, capacity: Capacity | None = None
) -> Scored:
    """`capacity`: an estimate the caller just made; by default, the recent one."""
    if capacity is None:
        policy, capacity = policy_and_capacity()
    else:
        policy = TriggerPolicy.current()
    thresholds = soft_thresholds(policy=policy, capacity=capacity)
    turns, customer_texts = None, None
    if message.sender == Message.Sender.CUSTOMER:
        turns = recent_turns(conversation, until=message)
        customer_texts = customer_texts_all(conversation=conversation, message=message, turns=turns)
    results = results_for_message(
        conversation=conversation, message=message, thresholds=thresholds, turns=turns
    )
    weighing = results_weigh(
        conversation=conversation, results=results, capacity=capacity, policy=policy, turn=message
    )
    return Scored(weighing, capacity, policy, customer_texts)


def decision_act(
    *, conversation: Conversation, scored: Scored, has_handoffs: bool | None = None
) -> dict[str, Any]:
    """`has_handoffs`: whether the conversation had ever had a case, when the caller read it."""
    return decide_and_act(
        conversation=conversation,
        weighing=scored.weighing,
        capacity=scored.capacity,
        policy=scored.policy,
        customer_texts=scored.customer_texts,
        has_handoffs=has_handoffs,
    )


def decision_after_message(
    *, conversation: Conversation, message: Message, capacity: Capacity | None = None
) -> dict[str, Any]:
    if already_with_human(conversation):
        return decision_payload(
            conversation=conversation, triggers=[], handoff=open_handoff(conversation)
        )
    scored = message_scored(conversation=conversation, message=message, capacity=capacity)
    return decision_act(conversation=conversation, scored=scored)


def decision_before_storing(
    *, conversation: Conversation, message: Message
) -> dict[str, Any] | Scored:
    """The decision on a turn about to be stored (`message`, unsaved), so that one INSERT
    stores both; most turns hand nothing off. When it would hand off, its scoring instead:
    the handoff's notice follows the turn in the transcript, so the caller stores the turn
    first and then acts on the scoring (decision_act). A stored turn scores as it did unsaved:
    the same recent turns, signal point and grace count."""
    if already_with_human(conversation):
        return decision_payload(
            conversation=conversation, triggers=[], handoff=open_handoff(conversation)
        )
    scored = message_scored(conversation=conversation, message=message)
    if scored.weighing.verdict.escalate:
        return scored
    return decision_act(conversation=conversation, scored=scored)


def authorised_scope() -> triggers.Scope:
    actions: dict[str, dict[str, Any]] = {}
    for name, param, maximum in ActionLimit.objects.values_list("action__name", "param", "maximum"):
        actions.setdefault(name, {})[param] = maximum
    for name in AuthorisedAction.objects.values_list("name", flat=True):
        actions.setdefault(name, {})
    return triggers.Scope(actions=actions)


def action_scope_check(*, name: str, params: dict[str, Any]) -> triggers.TriggerResult:
    """Whether the action is within the AI's authorised scope: fired, with the rule, when not.
    The Bot API's /actions and the built-in assistant's tools (before they run) both ask it."""
    return triggers.out_of_scope(name=name, params=params, scope=authorised_scope())


def decision_after_action(
    *, conversation: Conversation, action: AIAction, summary: str = ""
) -> dict[str, Any]:
    """Check the action against the AI's authorised scope; a blocked one is recorded as such,
    with the rule, and hands off."""
    result = action_scope_check(name=action.name, params=action.params)
    if result.fired:
        action.outcome = AIAction.Outcome.BLOCKED
        action.rule = result.evidence
        action.save(update_fields=["outcome", "rule"])
    if already_with_human(conversation):
        return decision_payload(
            conversation=conversation,
            triggers=[result.as_dict()],
            handoff=open_handoff(conversation),
        )
    policy, capacity = policy_and_capacity()
    weighing = results_weigh(
        conversation=conversation, results=[result], capacity=capacity, policy=policy
    )
    return decide_and_act(
        conversation=conversation,
        weighing=weighing,
        capacity=capacity,
        policy=policy,
        summary=summary,
    )


def decision_for_draft(
    *, conversation: Conversation, draft_text: str, draft_confidence: float
) -> dict[str, Any]:
    """The decision for a reply not yet sent. The bot hands off itself (POST /handoff) when it
    says escalate. A soft signal held back here counts towards the guard like one on a sent
    turn (once: sending the same draft afterwards is the same signal), so a bot that only
    asks and then keeps quiet still reaches it."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if already_with_human(locked):
            return decision_payload(conversation=locked, triggers=[], handoff=open_handoff(locked))
        policy, capacity = policy_and_capacity()
        thresholds = soft_thresholds(policy=policy, capacity=capacity)
        results = [
            triggers.low_confidence(
                confidence=draft_confidence, threshold=thresholds.low_confidence
            )
        ]
        weighing = results_weigh(
            conversation=locked, results=results, capacity=capacity, policy=policy
        )
        held_signal_count(conversation=locked, weighing=weighing)
    escalate = weighing.verdict.escalate
    return json_safe(
        {
            "escalate": escalate,
            "triggers": [r.as_dict() for r in weighing.results],
            "handoff": None,
            "estimated_wait_seconds": capacity.estimated_wait_seconds if escalate else None,
            "customer_notice": customer_notice(capacity) if escalate else None,
            "held": weighing.verdict.held,
            "held_count": weighing.held_count,
        }
    )
