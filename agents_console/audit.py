"""The audit trail: who opened, claimed, replied to and resolved each case, and when."""

from typing import Any

from django.db.models import QuerySet

from agents_console.models import AuditEvent, Note
from escalation.erasure import ERASED
from escalation.models import Customer, Handoff


def audit_record(*, handoff: Handoff, actor: Any, kind: str, detail: str = "") -> AuditEvent:
    return AuditEvent.objects.create(
        handoff=handoff,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        detail=detail[:300],
    )


def customer_erase(*, customer: Customer, handoffs: "QuerySet[Handoff]") -> None:
    """The erased customer's words the agents wrote down: notes, and the details of the audit
    trail (a resolution note, a hand-back note). Who did what, and when, stays."""
    Note.objects.filter(handoff__in=handoffs).update(text=ERASED)
    AuditEvent.objects.filter(handoff__in=handoffs).update(detail="")
