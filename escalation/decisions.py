"""The answer the Bot API gives after each event: escalate or continue, and why."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from escalation.models import AIAction, Conversation, Handoff, Message


def handoff_payload(handoff: Handoff) -> dict[str, Any]:
    agent = handoff.claimed_by
    return {
        "id": handoff.pk,
        "status": handoff.status,
        "summary": handoff.summary,
        "reason": handoff.reason,
        "identity": handoff.identity,
        "actions": handoff.actions,
        "triggers": handoff.triggers,
        "estimated_wait_seconds": handoff.estimated_wait_seconds,
        "queued_at": handoff.queued_at,
        "claimed_at": handoff.claimed_at,
        "resolved_at": handoff.resolved_at,
        "resolution": handoff.resolution or None,
        "assigned_agent": agent_payload(agent) if agent else None,
    }


def agent_payload(agent: Any) -> dict[str, Any]:
    return {"id": agent.pk, "name": agent.get_full_name() or agent.get_username()}


def open_handoff(conversation: Conversation) -> Handoff | None:
    return (
        conversation.handoffs.filter(status__in=Handoff.OPEN_STATUSES)
        .select_related("claimed_by")
        .first()
    )


def decision_payload(
    *, conversation: Conversation, triggers: list[dict[str, Any]]
) -> dict[str, Any]:
    """`escalate` is true while the conversation is with (or waiting for) a human: the AI must
    not answer the customer itself then."""
    handoff = open_handoff(conversation)
    decision = {
        "escalate": handoff is not None,
        "triggers": triggers,
        "handoff": handoff_payload(handoff) if handoff else None,
        "estimated_wait_seconds": handoff.estimated_wait_seconds if handoff else None,
        "customer_notice": None,
    }
    return json_safe(decision)


def json_safe(payload: dict[str, Any]) -> dict[str, Any]:
    """The decision is stored with the event and answered again on a retry: keep it as JSON so
    both answers are the same bytes."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def decision_after_message(*, conversation: Conversation, message: Message) -> dict[str, Any]:
    return decision_payload(conversation=conversation, triggers=[])


def decision_after_action(*, conversation: Conversation, action: AIAction) -> dict[str, Any]:
    return decision_payload(conversation=conversation, triggers=[])


def decision_for_draft(
    *, conversation: Conversation, draft_text: str, draft_confidence: float
) -> dict[str, Any]:
    return decision_payload(conversation=conversation, triggers=[])
