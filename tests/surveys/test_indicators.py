from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from escalation.handoff import handoff_claim, handoff_reply, handoff_resolve
from escalation.models import Handoff, Message
from surveys.indicators import outcome_compute, restatement_find, soft_signal_first
from surveys.models import HandoffOutcome
from tests.conftest import BotClient, EncoderRuns
from tests.support.factories import (
    ConversationFactory,
    HandoffFactory,
    MessageFactory,
    agent_user,
    console_agent,
)
from tests.surveys.conftest import resolved_case

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PROBLEM = "My parcel never arrived, order 1234 is missing"

pytestmark = pytest.mark.django_db


# --- repeat detection -------------------------------------------------------------------


def test_restatement_in_the_same_words_is_a_repeat() -> None:
    handoff = resolved_case(
        before=[PROBLEM], after=["I told the bot already, my order 1234 never arrived"], start=START
    )
    outcome = outcome_compute(handoff=handoff, now=START + timedelta(days=1))
    assert outcome.repeated is True
    assert outcome.repeat_score is not None and outcome.repeat_score >= 0.5
    assert outcome.repeat_before is not None and outcome.repeat_before.text == PROBLEM
    assert outcome.repeat_after is not None
    assert outcome.repeat_after.text.startswith("I told the bot already")


def test_restatement_in_other_words_is_a_repeat() -> None:
    handoff = resolved_case(
        before=[PROBLEM],
        after=["The package for order 1234 did not show up at my door"],
        start=START,
    )
    outcome = outcome_compute(handoff=handoff, now=START + timedelta(days=1))
    assert outcome.repeated is True
    assert outcome.repeat_after is not None and "package" in outcome.repeat_after.text


def test_a_different_problem_with_the_same_card_is_no_repeat() -> None:
    """The customer told the bot their card was lost, and tells the human it was declined at a
    shop: one shared word ("card"), two problems."""
    handoff = resolved_case(
        before=["I lost my card"],
        after=["my card payment was declined", "ok thanks"],
        start=START,
    )
    outcome = outcome_compute(handoff=handoff, now=START + timedelta(days=1))
    assert outcome.repeated is False


def test_customer_who_only_answers_the_human_did_not_repeat() -> None:
    handoff = resolved_case(
        before=[PROBLEM],
        after=["Yes", "Great, thank you so much for the refund"],
        start=START,
    )
    outcome = outcome_compute(handoff=handoff, now=START + timedelta(days=1))
    assert outcome.repeated is False
    assert outcome.repeat_score is not None and outcome.repeat_score < 0.5


def test_short_acknowledgements_are_never_taken_for_a_restatement() -> None:
    finding = restatement_find(
        before=[(1, "hello there I need help", None)], after=[(2, "hello", None)]
    )
    assert finding.repeated is False
    assert finding.after_id is None


def test_the_repeat_is_judged_without_encoding_a_stored_message(
    bot_client: BotClient, encoder_runs: EncoderRuns
) -> None:
    conversation = bot_client.open_conversation()
    path = f"/conversations/{conversation['id']}"
    bot_client.post_turns(conversation["id"], [("customer", PROBLEM)])
    bot_client.post(f"{path}/handoff", {"external_id": "h1"})
    handoff = Handoff.objects.get(conversation_id=conversation["id"])
    agent = console_agent(username="ana")
    handoff_claim(handoff=handoff, agent=agent)
    handoff_reply(handoff=handoff, agent=agent, text="Hello, how can I help?")
    again = {"external_id": "again", "sender": "customer", "text": "My order 1234 never came"}
    bot_client.post(f"{path}/messages", again)
    handoff_resolve(handoff=handoff, agent=agent, resolution="resolved")
    encoder_runs.forget()

    outcome = outcome_compute(handoff=handoff)

    assert encoder_runs.texts == []
    assert outcome.repeated is True


def test_messages_to_the_ai_after_the_handoff_are_not_compared_with_themselves() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    outcome = outcome_compute(handoff=handoff, now=START + timedelta(days=1))
    assert outcome.repeated is False
    assert outcome.repeat_before is None


def test_recompute_command_stores_one_outcome_per_handoff() -> None:
    handoff = resolved_case(
        before=[PROBLEM], after=["my order 1234 never arrived, as I said"], start=START
    )
    call_command("recompute_indicators")
    call_command("recompute_indicators")
    assert HandoffOutcome.objects.filter(handoff=handoff).count() == 1
    assert HandoffOutcome.objects.get(handoff=handoff).repeated is True


def test_first_soft_signal_is_the_first_fired_soft_trigger_that_did_not_escalate() -> None:
    first = datetime(2025, 3, 3, 9, 1, tzinfo=UTC)
    decisions = [
        (datetime(2025, 3, 3, 9, 0, tzinfo=UTC), {"escalate": False, "triggers": []}),
        (first, {"escalate": False, "triggers": [{"kind": "distress", "fired": True}]}),
        (
            datetime(2025, 3, 3, 9, 5, tzinfo=UTC),
            {"escalate": True, "triggers": [{"kind": "low_confidence", "fired": True}]},
        ),
    ]
    assert soft_signal_first(decisions=decisions) == first


def test_hard_triggers_are_not_soft_signals() -> None:
    decisions = [
        (START, {"escalate": False, "triggers": [{"kind": "out_of_scope", "fired": True}]})
    ]
    assert soft_signal_first(decisions=decisions) is None


# --- first-contact resolution ------------------------------------------------------------


def test_resolved_once_and_quiet_for_the_window_is_first_contact_resolved() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    with time_machine.travel(START + timedelta(days=8)):
        outcome = outcome_compute(handoff=handoff)
    assert outcome.first_contact_resolved is True


def test_first_contact_resolution_is_pending_while_the_window_is_open() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    with time_machine.travel(START + timedelta(days=2)):
        outcome = outcome_compute(handoff=handoff)
    assert outcome.first_contact_resolved is None
    assert handoff.resolved_at is not None
    assert outcome.fcr_window_closes_at == handoff.resolved_at + timedelta(days=7)


def test_reassigned_case_is_not_first_contact_resolved() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    MessageFactory(
        conversation=handoff.conversation,
        sender=Message.Sender.AGENT,
        agent=agent_user(),
        text="Taking over from my colleague.",
        sent_at=handoff.queued_at + timedelta(minutes=10),
    )
    with time_machine.travel(START + timedelta(days=8)):
        outcome = outcome_compute(handoff=handoff)
    assert outcome.first_contact_resolved is False
    assert "reassigned" in outcome.fcr_reason


def test_reopened_case_with_a_second_handoff_is_not_first_contact_resolved() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    HandoffFactory(conversation=handoff.conversation, queued_at=START + timedelta(days=1))
    with time_machine.travel(START + timedelta(days=8)):
        outcome = outcome_compute(handoff=handoff)
    assert outcome.first_contact_resolved is False
    assert "reopened" in outcome.fcr_reason


def test_returned_case_is_not_first_contact_resolved() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    Handoff.objects.filter(pk=handoff.pk).update(status=Handoff.Status.RETURNED)
    outcome = outcome_compute(handoff=handoff, now=START + timedelta(days=8))
    assert outcome.first_contact_resolved is False


def test_case_closed_unresolved_is_not_first_contact_resolved() -> None:
    handoff = resolved_case(
        before=[PROBLEM], after=[], start=START, resolution=Handoff.Resolution.FOLLOW_UP
    )
    outcome = outcome_compute(handoff=handoff, now=START + timedelta(days=8))
    assert outcome.first_contact_resolved is False


def _customer_comes_back(handoff: Handoff, *, after_days: int, text: str) -> None:
    later = ConversationFactory(
        bot=handoff.conversation.bot, customer=handoff.conversation.customer
    )
    assert handoff.resolved_at is not None
    MessageFactory(
        conversation=later, text=text, sent_at=handoff.resolved_at + timedelta(days=after_days)
    )


def test_customer_back_about_the_same_problem_in_3_days_is_not_first_contact_resolved() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    _customer_comes_back(handoff, after_days=3, text="My parcel for order 1234 still never arrived")
    with time_machine.travel(START + timedelta(days=3, hours=1)):
        outcome = outcome_compute(handoff=handoff)
    assert outcome.first_contact_resolved is False
    assert "came back" in outcome.fcr_reason


def test_customer_back_about_the_same_problem_in_10_days_is_a_new_contact() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    _customer_comes_back(
        handoff, after_days=10, text="My parcel for order 1234 still never arrived"
    )
    with time_machine.travel(START + timedelta(days=11)):
        outcome = outcome_compute(handoff=handoff)
    assert outcome.first_contact_resolved is True


def test_customer_back_about_something_else_in_3_days_keeps_first_contact_resolution() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    _customer_comes_back(handoff, after_days=3, text="How do I change the password on my account?")
    with time_machine.travel(START + timedelta(days=8)):
        outcome = outcome_compute(handoff=handoff)
    assert outcome.first_contact_resolved is True


def test_periodic_recompute_settles_the_pending_judgement_when_the_window_closes() -> None:
    handoff = resolved_case(before=[PROBLEM], after=[], start=START)
    with time_machine.travel(START + timedelta(days=1)):
        call_command("recompute_indicators", "--open-only")
    assert HandoffOutcome.objects.get(handoff=handoff).first_contact_resolved is None
    from surveys.tasks import outcomes_recompute_open

    with time_machine.travel(START + timedelta(days=8)):
        outcomes_recompute_open.apply()
    assert HandoffOutcome.objects.get(handoff=handoff).first_contact_resolved is True


def test_case_released_back_to_the_queue_is_not_first_contact_resolved() -> None:
    from escalation.handoff import handoff_claim, handoff_release, handoff_resolve
    from tests.support.factories import console_agent

    first, second = console_agent(), console_agent()
    handoff = HandoffFactory()
    handoff_claim(handoff=handoff, agent=first)
    handoff_release(handoff=handoff, reason="end of shift", actor=first)
    handoff_claim(handoff=handoff, agent=second)
    resolved = handoff_resolve(handoff=handoff, agent=second, resolution="resolved")

    assert resolved.resolved_at is not None
    outcome = outcome_compute(handoff=resolved, now=resolved.resolved_at + timedelta(days=8))

    assert outcome.first_contact_resolved is False
    assert "returned to the queue" in outcome.fcr_reason


def test_case_a_supervisor_moved_to_another_agent_is_not_first_contact_resolved() -> None:
    from escalation.handoff import handoff_assign, handoff_claim, handoff_resolve
    from tests.support.factories import console_agent, supervisor_user

    first, second, boss = console_agent(), console_agent(), supervisor_user()
    handoff = HandoffFactory()
    handoff_claim(handoff=handoff, agent=first)
    handoff_assign(handoff=handoff, agent=second, by=boss)
    resolved = handoff_resolve(handoff=handoff, agent=second, resolution="resolved")

    assert resolved.resolved_at is not None
    outcome = outcome_compute(handoff=resolved, now=resolved.resolved_at + timedelta(days=8))

    assert outcome.first_contact_resolved is False
    assert "reassigned" in outcome.fcr_reason
