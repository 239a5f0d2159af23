from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models.functions import Cast

from agents_console.models import Note
from escalation.handoff import handoff_claim, handoff_create, handoff_reply, handoff_resolve
from escalation.held import NO_AGENT
from escalation.models import (
    Conversation,
    Customer,
    Handoff,
    HeldSignal,
    Message,
    WebhookDelivery,
)
from escalation.webchat.chat import chat_customer, chat_message_send
from surveys.dashboard import Period, metrics_by, metrics_by_day, metrics_summary
from surveys.indicators import outcomes_recompute
from surveys.links import survey_answer, survey_send
from surveys.models import HandoffOutcome
from tests.conftest import BotClient
from tests.support.factories import UserFactory, console_agent

# Everything the customer is or said; none of it may survive the erasure.
TRACES = ["Zelda", "Quintero", "zelda.q@example.org", "600 111 222", "cust-zq-77", "Falsa"]


def every_text_column_containing(token: str) -> list[str]:
    """model.field for each text or JSON column of the database holding the token."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                continue
            rows = model._default_manager.annotate(
                as_text=Cast(field.name, models.TextField())
            ).filter(as_text__icontains=token)
            if rows.exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def indicators() -> dict[str, Any]:
    period = Period.last_days(2)
    return {
        "summary": metrics_summary(period=period),
        "by_day": metrics_by_day(period=period),
        "by_agent": metrics_by(period=period, field="claimed_by"),
        "by_trigger": metrics_by(period=period, field="outcome__trigger_kind"),
        "outcomes": list(
            HandoffOutcome.objects.order_by("pk").values(
                "repeated", "first_contact_resolved", "trigger_kind", "first_soft_signal_at"
            )
        ),
    }


@pytest.fixture
def zelda_case(bot_client: BotClient) -> Handoff:
    """Zelda tells the AI, then the human, about her parcel; the case is resolved, noted and
    her survey answered."""
    conversation = bot_client.open_conversation(
        "chat-zq",
        callback_url="https://bot.example.com/hooks",
        customer={
            "external_id": "cust-zq-77",
            "name": "Zelda Quintero",
            "email": "zelda.q@example.org",
            "phone": "+34 600 111 222",
            "verified": True,
            "verification_method": "otp",
        },
    )
    path = f"/conversations/{conversation['id']}"
    bot_client.post(
        f"{path}/messages",
        {"external_id": "m1", "sender": "customer", "text": "My parcel to Calle Falsa 5 is lost"},
    )
    bot_client.post(
        f"{path}/actions",
        {"external_id": "a1", "name": "lookup_order", "params": {"address": "Calle Falsa 5"}},
    )
    bot_client.post(f"{path}/handoff", {"external_id": "h1", "reason": "Zelda wants a person"})
    handoff = Handoff.objects.get(conversation_id=conversation["id"])
    agent = console_agent(username="ana")
    handoff_claim(handoff=handoff, agent=agent)
    handoff_reply(handoff=handoff, agent=agent, text="Hi Zelda, I am on it.")
    bot_client.post(
        f"{path}/messages",
        {"external_id": "m2", "sender": "customer", "text": "Calle Falsa 5, parcel lost"},
    )
    Note.objects.create(handoff=handoff, author=agent, text="Zelda called twice")
    handoff_resolve(handoff=handoff, agent=agent, resolution="resolved", note="Sent to Falsa")
    survey = survey_send(handoff=handoff)
    assert survey is not None
    survey_answer(
        survey=survey, did_help=True, had_to_repeat=True, rating=4, comment="Thanks, Zelda"
    )
    return handoff


def test_no_trace_of_the_customer_remains(zelda_case: Handoff) -> None:
    HeldSignal.objects.create(
        conversation=zelda_case.conversation,
        kind="distress",
        at=zelda_case.queued_at,
        evidence='"Zelda here, this is the third time"',
        why=NO_AGENT,
        point=1,
    )
    assert WebhookDelivery.objects.filter(conversation=zelda_case.conversation).exists()
    assert every_text_column_containing("Zelda")  # the search finds what is there

    call_command("erase_customer", "cust-zq-77")

    assert {token: every_text_column_containing(token) for token in TRACES} == {
        token: [] for token in TRACES
    }


def test_the_indicators_stay_the_same(zelda_case: Handoff) -> None:
    outcomes_recompute()
    before = indicators()
    assert before["outcomes"][0]["repeated"] is True  # "Calle Falsa 5, parcel lost" restated

    call_command("erase_customer", "cust-zq-77")
    assert indicators() == before
    outcomes_recompute()  # the hourly recompute must not judge the erased transcript
    assert indicators() == before


def test_outcomes_never_computed_are_judged_from_the_transcript_before_it_goes(
    zelda_case: Handoff,
) -> None:
    assert not HandoffOutcome.objects.filter(computed_at__isnull=False).exists()

    call_command("erase_customer", "cust-zq-77")

    outcome = HandoffOutcome.objects.get(handoff=zelda_case)
    assert outcome.repeated is True  # "Calle Falsa 5, parcel lost" restated, not "[erased]"


def test_rows_stay_with_their_text_erased(zelda_case: Handoff) -> None:
    messages = Message.objects.filter(conversation=zelda_case.conversation).count()

    call_command("erase_customer", "cust-zq-77")

    customer = Customer.objects.get(pk=zelda_case.conversation.customer_id)
    assert customer.erased_at is not None
    assert (customer.name, customer.email, customer.phone) == ("", "", "")
    texts = set(
        Message.objects.filter(conversation=zelda_case.conversation).values_list("text", flat=True)
    )
    assert texts == {"[erased]"}
    assert Message.objects.filter(conversation=zelda_case.conversation).count() == messages


def test_the_encodings_go_with_the_text(zelda_case: Handoff) -> None:
    messages = Message.objects.filter(conversation=zelda_case.conversation)
    assert messages.filter(sender=Message.Sender.CUSTOMER, encoding__isnull=False).count() == 2

    call_command("erase_customer", "cust-zq-77")

    assert not messages.filter(encoding__isnull=False).exists()


def test_a_web_chat_customer_loses_the_login_too(db: None) -> None:
    user = UserFactory(username="zelda", first_name="Zelda")
    user.save()
    customer = chat_customer(user=user)
    chat_message_send(customer=customer, text="Hello, it's Zelda")

    call_command("erase_customer", "zelda")

    assert not User.objects.filter(username="zelda").exists()
    assert every_text_column_containing("Zelda") == []


def test_an_ambiguous_id_needs_the_bot(bot_client: BotClient, other_bot_client: BotClient) -> None:
    bot_client.open_conversation()
    other_bot_client.open_conversation()

    with pytest.raises(CommandError, match="--bot"):
        call_command("erase_customer", "cust-1")
    call_command("erase_customer", "cust-1", "--bot", "other-bot")

    assert Customer.objects.get(bot=bot_client.bot).name == "Ana Gomez"
    assert Customer.objects.get(bot=other_bot_client.bot).name == ""


def test_a_customer_with_an_open_case_is_not_erased(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    handoff_create(conversation=Conversation.objects.get(pk=conversation["id"]))

    with pytest.raises(CommandError, match="open"):
        call_command("erase_customer", "cust-1")
    assert Customer.objects.get().name == "Ana Gomez"


def test_an_unknown_customer_is_an_error(db: None) -> None:
    with pytest.raises(CommandError, match="No customer"):
        call_command("erase_customer", "nobody")
