"""The audit trail: who opened, claimed, replied to and resolved each case, and when."""

from typing import Any

from agents_console.models import AuditEvent
from escalation.models import Handoff


def audit_record(*, handoff: Handoff, actor: Any, kind: str, detail: str = "") -> AuditEvent:
    return AuditEvent.objects.create(
        handoff=handoff,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        detail=detail[:300],
    )
