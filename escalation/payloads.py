"""How a handoff and an agent are shown to bots: the one shape the API, the decision and the
webhooks share."""

from typing import Any

from escalation.models import Handoff


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
