"""The answer after each event: escalate or continue, and why. Gathers the conversation's state,
asks the triggers, weighs soft signals against current capacity, and hands off when it must."""

import json
import math
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import F
from django.db.models.functions import Coalesce, Now

from escalation import handoff as handoffs
from escalation import triggers
from escalation.capacity import Capacity, capacity_estimate, policy_and_capacity, soft_thresholds
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
    if capacity.available_agents > 0 or held_before + 1 >= max_held:
        return Verdict(escalate=True, held=False)
    return Verdict(escalate=False, held=True)


def decision_payload(
    *,
    conversation: Conversation,
    triggers: list[dict[str, Any]],
    handoff: Handoff | None,
    capacity: Capacity | None = None,
) -> dict[str, Any]:
    """`escalate` is true while the conversation is with (or waiting for) a human (`handoff`,
    its open handoff): the AI must not answer the customer itself then."""
    return json_safe(
        {
            "escalate": handoff is not None,
            "triggers": triggers,
            "handoff": handoff_payload(handoff) if handoff else None,
            "estimated_wait_seconds": handoff.estimated_wait_seconds if handoff else None,
            "customer_notice": customer_notice(capacity) if handoff else None,
        }
    )


# The turns before a customer's, read on every one of them. Written as SQL: the ORM takes
# longer to build the query and convert its rows than the database to answer it. Only the
# model's table name is formatted in.
RECENT_TURNS_SQL = (
    "SELECT sender, text, confidence FROM {table} WHERE conversation_id = %s{until}"
    " ORDER BY id DESC LIMIT %s"
)


def recent_turns(
    conversation: Conversation, *, until: Message | None = None
) -> list[triggers.Turn]:
    """The last turns up to `until`. An unsaved `until`, a turn about to be stored, comes after
    the stored ones."""
    unsaved: list[triggers.Turn] = []
    until_sql, params = "", [conversation.pk]
    if until is not None and until.pk is None:
        unsaved = [triggers.Turn(until.sender, until.text, until.confidence)]
    elif until is not None:
        until_sql = " AND id <= %s"
        params.append(until.pk)
    params.append(TRANSCRIPT_WINDOW - len(unsaved))
    sql = RECENT_TURNS_SQL.format(table=Message._meta.db_table, until=until_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        stored = [triggers.Turn(*row) for row in cursor.fetchall()]
    return [*reversed(stored), *unsaved]


def suppressed_triggers(conversation: Conversation) -> frozenset[str]:
    return frozenset(conversation.suppressed_triggers)


def results_for_message(
    *, conversation: Conversation, message: Message, thresholds: triggers.Thresholds
) -> list[triggers.TriggerResult]:
    if message.sender == Message.Sender.CUSTOMER:
        return triggers.triggers_for_customer_turn(
            turns=recent_turns(conversation, until=message),
            thresholds=thresholds,
            suppressed=suppressed_triggers(conversation),
        )
    if message.sender == Message.Sender.AI:
        return [
            triggers.low_confidence(
                confidence=message.confidence, threshold=thresholds.low_confidence
            )
        ]
    return []


def decide_and_act(
    *,
    conversation: Conversation,
    results: list[triggers.TriggerResult],
    capacity: Capacity,
    policy: TriggerPolicy,
    summary: str = "",
) -> dict[str, Any]:
    """Hand off (or count a held soft signal) as the verdict says, inside the caller's
    transaction, and answer the decision. `summary` is the AI's own, when it wrote one. The
    conversation is with the AI, so no handoff is open unless this one makes it."""
    verdict = verdict_reach(
        results=results,
        capacity=capacity,
        held_before=conversation.held_soft_signals,
        max_held=policy.max_held_soft_signals,
    )
    reported = [r.as_dict() for r in results]
    if verdict.held:
        Conversation.objects.filter(pk=conversation.pk).update(
            held_soft_signals=F("held_soft_signals") + 1,
            first_soft_signal_at=Coalesce(F("first_soft_signal_at"), Now()),
        )
    handoff = None
    if verdict.escalate:
        # The customer is told their place in line: from the queue as it is now.
        capacity = capacity_estimate(policy=policy)
        fired = [r for r in results if r.fired]
        handoff, _ = handoffs.handoff_create(
            conversation=conversation,
            triggers=[r.as_dict() for r in fired],
            reason="; ".join(r.evidence for r in fired),
            summary=summary,
        )
    return decision_payload(
        conversation=conversation, triggers=reported, capacity=capacity, handoff=handoff
    )


def already_with_human(conversation: Conversation) -> bool:
    return conversation.status in (Conversation.Status.QUEUED, Conversation.Status.WITH_AGENT)


def message_scored(
    *, conversation: Conversation, message: Message, capacity: Capacity | None = None
) -> tuple[list[triggers.TriggerResult], Capacity, TriggerPolicy]:
    """`capacity`: an estimate the caller just made; by default, the recent one."""
    if capacity is None:
        policy, capacity = policy_and_capacity()
    else:
        policy = TriggerPolicy.current()
    thresholds = soft_thresholds(policy=policy, capacity=capacity)
    results = results_for_message(conversation=conversation, message=message, thresholds=thresholds)
    return results, capacity, policy


def decision_after_message(
    *, conversation: Conversation, message: Message, capacity: Capacity | None = None
) -> dict[str, Any]:
    if already_with_human(conversation):
        return decision_payload(
            conversation=conversation, triggers=[], handoff=open_handoff(conversation)
        )
    results, capacity, policy = message_scored(
        conversation=conversation, message=message, capacity=capacity
    )
    return decide_and_act(
        conversation=conversation, results=results, capacity=capacity, policy=policy
    )


def decision_before_storing(
    *, conversation: Conversation, message: Message
) -> dict[str, Any] | None:
    """The decision on a turn about to be stored (`message`, unsaved), so that one INSERT
    stores both; most turns hand nothing off. None when it would hand off: the handoff's notice
    follows the turn in the transcript, so the caller stores the turn first and then asks
    decision_after_message (which scores it again, on what is stored by then)."""
    if already_with_human(conversation):
        return decision_payload(
            conversation=conversation, triggers=[], handoff=open_handoff(conversation)
        )
    results, capacity, policy = message_scored(conversation=conversation, message=message)
    verdict = verdict_reach(
        results=results,
        capacity=capacity,
        held_before=conversation.held_soft_signals,
        max_held=policy.max_held_soft_signals,
    )
    if verdict.escalate:
        return None
    return decide_and_act(
        conversation=conversation, results=results, capacity=capacity, policy=policy
    )


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
    return decide_and_act(
        conversation=conversation,
        results=[result],
        capacity=capacity,
        policy=policy,
        summary=summary,
    )


def decision_for_draft(
    *, conversation: Conversation, draft_text: str, draft_confidence: float
) -> dict[str, Any]:
    """The decision for a reply not yet sent; stores nothing. The bot hands off itself (POST
    /handoff) when it says escalate."""
    if already_with_human(conversation):
        return decision_payload(
            conversation=conversation, triggers=[], handoff=open_handoff(conversation)
        )
    policy, capacity = policy_and_capacity()
    thresholds = soft_thresholds(policy=policy, capacity=capacity)
    results = [
        triggers.low_confidence(confidence=draft_confidence, threshold=thresholds.low_confidence)
    ]
    verdict = verdict_reach(
        results=results,
        capacity=capacity,
        held_before=conversation.held_soft_signals,
        max_held=policy.max_held_soft_signals,
    )
    return json_safe(
        {
            "escalate": verdict.escalate,
            "triggers": [r.as_dict() for r in results],
            "handoff": None,
            "estimated_wait_seconds": capacity.estimated_wait_seconds if verdict.escalate else None,
            "customer_notice": customer_notice(capacity) if verdict.escalate else None,
        }
    )
