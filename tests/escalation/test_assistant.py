import pytest

from escalation.assistant import DemoAssistant, Draft
from escalation.conversations import message_add
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scope")]


def draft_for(*turns: tuple[str, str]) -> Draft:
    conversation = ConversationFactory(channel="web-chat")
    for sender, text in turns:
        message_add(conversation=conversation, sender=sender, text=text)
    return DemoAssistant().draft_reply(conversation=conversation)


def test_looks_up_a_known_order() -> None:
    draft = draft_for(("customer", "Where is my order 1234?"))
    assert "delayed" in draft.text
    assert draft.confidence >= 0.8
    assert draft.actions == [("lookup_order", {"order": "1234"})]


def test_asks_for_the_credit_and_leaves_the_scope_check_to_decide() -> None:
    draft = draft_for(("customer", "Give me a refund of 80 EUR for order 1234"))
    assert draft.actions == [("issue_credit", {"amount": 80, "currency": "EUR", "order": "1234"})]
    assert "80 EUR" in draft.summary


def test_is_not_confident_about_what_it_did_not_understand() -> None:
    draft = draft_for(("customer", "Can my parrot use the loyalty programme in Portugal?"))
    assert draft.confidence < 0.5
    assert draft.actions == []


def test_a_request_for_a_person_gets_a_low_confidence_draft() -> None:
    draft = draft_for(("customer", "Can I speak to a real person please?"))
    assert draft.confidence < 0.5
    assert "person" in draft.summary


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
