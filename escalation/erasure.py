"""The right to erasure: a customer's personal data goes, the counts the indicators are made of
stay. Rows are kept and their text replaced, so every handoff, message, survey answer and
outcome still counts; nothing that identifies or quotes the customer remains."""

from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from escalation import events
from escalation.models import (
    AIAction,
    Customer,
    Handoff,
    HeldSignal,
    Message,
    WebhookDelivery,
)

ERASED = "[erased]"
# Keys of the stored JSON (decisions, packets, webhook bodies) whose values say what happened,
# not who or what was said; every other string is erased.
STRUCTURAL_KEYS = frozenset(
    {
        "kind",
        "fired",
        "score",
        "threshold",
        "escalate",
        "status",
        "outcome",
        "sender",
        "resolution",
        "event",
        "id",
        "verified",
        "at",
        "sent_at",
        "created_at",
        "queued_at",
        "claimed_at",
        "resolved_at",
        "verified_at",
        "estimated_wait_seconds",
    }
)


def json_erase(value: Any, *, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: json_erase(item, key=k) for k, item in value.items()}
    if isinstance(value, list):
        return [json_erase(item, key=key) for item in value]
    if isinstance(value, str) and key not in STRUCTURAL_KEYS:
        return ERASED
    return value


@dataclass(frozen=True)
class Erasure:
    conversations: int
    messages: int
    handoffs: int


def customers_matching(*, reference: str, bot_name: str | None = None) -> list[Customer]:
    """Customers named by their external id, their web chat login or their number."""
    match = Q(external_id=reference) | Q(user__username=reference)
    if reference.isdigit():
        match |= Q(pk=int(reference))
    customers = Customer.objects.filter(match)
    if bot_name:
        customers = customers.filter(bot__name=bot_name)
    return list(customers)


class CustomerHasOpenCase(Exception):
    """A human is (or will be) working on the customer's case: resolve it first."""


def customer_erase(*, customer: Customer) -> Erasure:
    """Erase the customer's identity, words and answers everywhere they are stored; the web
    chat login goes too. The indicator outcomes, settled from the transcript just before, are
    kept as they are (outcome_compute leaves an erased customer's alone)."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        handoffs = Handoff.objects.filter(conversation__customer=customer)
        if handoffs.filter(status__in=Handoff.OPEN_STATUSES).exists():
            raise CustomerHasOpenCase(f"Customer {customer.pk} has a case open in the queue.")
        # Each app erases its own rows, and reads what it needs of the transcript (the
        # surveys settle their outcomes) before it goes.
        events.emit(events.CUSTOMER_ERASING, customer=customer, handoffs=handoffs)

        messages = Message.objects.filter(conversation__customer=customer)
        for message in messages.exclude(decision__isnull=True).only("pk", "decision"):
            Message.objects.filter(pk=message.pk).update(decision=json_erase(message.decision))
        # The encoding goes with its text: a guess at the text can be checked against it.
        message_count = messages.update(text=ERASED, encoding=None)
        HeldSignal.objects.filter(conversation__customer=customer).exclude(evidence="").update(
            evidence=ERASED
        )
        for action in AIAction.objects.filter(conversation__customer=customer):
            AIAction.objects.filter(pk=action.pk).update(
                params=json_erase(action.params),
                detail=ERASED if action.detail else "",
                decision=json_erase(action.decision),
            )
        for handoff in handoffs:
            Handoff.objects.filter(pk=handoff.pk).update(
                identity=json_erase(handoff.identity),
                summary=ERASED,
                reason=ERASED if handoff.reason else "",
                actions=json_erase(handoff.actions),
                triggers=json_erase(handoff.triggers),
                resolution_note=ERASED if handoff.resolution_note else "",
            )
        for delivery in WebhookDelivery.objects.filter(conversation__customer=customer):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                payload=json_erase(delivery.payload)
            )

        user = customer.user
        Customer.objects.filter(pk=customer.pk).update(
            external_id=f"erased-{customer.pk}",
            name="",
            email="",
            phone="",
            verification_method="",
            user=None,
            erased_at=timezone.now(),
        )
        if user is not None and not (user.is_staff or user.groups.exists()):
            login_forget(username=user.get_username())
            get_user_model().objects.filter(pk=user.pk).delete()
        return Erasure(
            conversations=customer.conversations.count(),
            messages=message_count,
            handoffs=handoffs.count(),
        )


def login_forget(*, username: str) -> None:
    """The login throttle's records of the username."""
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()
