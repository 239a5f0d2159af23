import pytest

from escalation.models import AIAction
from escalation.transcript import message_add
from escalation.webchat.assistant import DemoAssistant, Draft
from escalation.webchat.tools import ToolGate
from tests.support.factories import ConversationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scope")]


def gate_and_draft(*turns: tuple[str, str]) -> tuple[ToolGate, Draft]:
    conversation = ConversationFactory(channel="web-chat")
    for sender, text in turns:
        last = message_add(conversation=conversation, sender=sender, text=text)
    tools = ToolGate(conversation=conversation, turn=last)
    return tools, DemoAssistant().draft_reply(conversation=conversation, tools=tools)


def draft_for(*turns: tuple[str, str]) -> Draft:
    return gate_and_draft(*turns)[1]


def actions_of(tools: ToolGate) -> list[tuple[str, dict[str, object], str, str]]:
    return [
        (a.name, a.params, a.outcome, a.detail or a.rule)
        for a in AIAction.objects.filter(conversation=tools.conversation)
    ]


def test_looks_up_a_known_order_and_records_what_it_found() -> None:
    tools, draft = gate_and_draft(("customer", "Where is my order 1234?"))
    assert "delayed" in draft.text
    assert draft.confidence >= 0.8
    assert actions_of(tools) == [
        (
            "lookup_order",
            {"order": "1234"},
            "succeeded",
            "delayed: order 1234 is delayed at the regional depot; the new delivery date is "
            "Saturday",
        )
    ]


def test_looks_the_order_up_before_asking_for_the_credit() -> None:
    tools, _ = gate_and_draft(("customer", "Give me a refund of 30 EUR for order 5521"))
    assert [(name, outcome, detail) for name, _, outcome, detail in actions_of(tools)] == [
        (
            "lookup_order",
            "succeeded",
            "lost: order 5521 has been marked lost in transit by the carrier",
        ),
        ("issue_credit", "succeeded", "credited 30 EUR for order 5521"),
    ]


def test_a_credit_over_the_limit_is_blocked_by_the_scope_check_with_its_rule() -> None:
    tools, _ = gate_and_draft(("customer", "Give me a refund of 80 EUR for order 1234"))
    name, params, outcome, rule = actions_of(tools)[-1]
    assert (name, params, outcome) == (
        "issue_credit",
        {"amount": 80, "currency": "EUR", "order": "1234"},
        "blocked",
    )
    assert "issue_credit.amount ≤ 50" in rule
    assert tools.escalated


def test_an_unknown_order_is_looked_up_and_fails_saying_so() -> None:
    tools, draft = gate_and_draft(("customer", "Where is my order 9999?"))
    assert "could not find order 9999" in draft.text
    assert actions_of(tools) == [("lookup_order", {"order": "9999"}, "failed", "no order 9999")]


def test_is_not_confident_about_what_it_did_not_understand() -> None:
    tools, draft = gate_and_draft(("customer", "Can my parrot use the loyalty programme?"))
    assert draft.confidence < 0.5
    assert actions_of(tools) == []


def test_a_request_for_a_person_gets_a_low_confidence_draft() -> None:
    draft = draft_for(("customer", "Can I speak to a real person please?"))
    assert draft.confidence < 0.5


def test_repeating_the_same_question_lowers_its_confidence_and_it_apologises() -> None:
    draft = draft_for(
        ("customer", "Where is my order 1234?"),
        (
            "ai",
            "Your order 1234 is delayed at the regional depot; the new delivery date is Saturday.",
        ),
        ("customer", "This is ridiculous, I asked where my order 1234 is!"),
    )
    assert draft.confidence < 0.5
    assert draft.text.startswith("I'm sorry")


def test_answers_the_faq() -> None:
    assert "30 days" in draft_for(("customer", "What is your returns policy?")).text
    assert "Monday" in draft_for(("customer", "What are your opening hours?")).text
