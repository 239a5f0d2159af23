from escalation import conversations
from escalation.models import AIAction
from escalation.summary import summary_write
from tests.factories import AIActionFactory, ConversationFactory


def test_names_the_ask_the_entities_and_what_was_tried(db: None) -> None:
    conversation = ConversationFactory()
    for text in ["hi", "My order 1234 is a week late and I want 80 EUR back", "please hurry"]:
        conversations.message_add(conversation=conversation, sender="customer", text=text)
    AIActionFactory(conversation=conversation, name="lookup_order", params={"order": "1234"})
    AIActionFactory(
        conversation=conversation,
        name="issue_credit",
        params={"amount": 80},
        outcome=AIAction.Outcome.BLOCKED,
        rule="blocked by rule issue_credit.amount ≤ 50",
    )

    summary = summary_write(conversation=conversation)

    assert summary.startswith("The customer says: “My order 1234 is a week late")
    assert "Mentions order 1234, 80 EUR." in summary
    assert "lookup_order order=1234 — succeeded" in summary
    assert "issue_credit amount=80 — blocked: blocked by rule issue_credit.amount ≤ 50" in summary


def test_is_the_same_every_time(db: None) -> None:
    conversation = ConversationFactory()
    conversations.message_add(
        conversation=conversation, sender="customer", text="Card declined twice at the shop"
    )
    assert summary_write(conversation=conversation) == summary_write(conversation=conversation)


def test_says_so_when_the_customer_said_nothing(db: None) -> None:
    assert (
        summary_write(conversation=ConversationFactory())
        == "The customer has not said anything yet."
    )
