from escalation import transcript
from escalation.models import AIAction
from escalation.summary import MAX_WORDS, customer_summary, facts_find, summary_write
from tests.support.factories import AIActionFactory, ConversationFactory

LOST_PARCEL = [
    "Hello",
    "My parcel, order 5521, never arrived. I ordered it on March 3rd and I have been waiting "
    "two weeks now. The tracking page has not moved since and nobody answers the phone at the "
    "depot. I do not want a replacement any more, it was a gift and the day has passed. "
    "Please refund the 120 EUR to my card.",
]


def test_keeps_the_ask_the_facts_and_what_they_no_longer_want() -> None:
    summary = customer_summary(LOST_PARCEL)

    for fact in ("5521", "two weeks", "March 3rd", "120 EUR", "to my card", "replacement"):
        assert fact in summary
    assert "nobody answers the phone" not in summary  # no fact, no ask
    assert len(summary.split()) <= MAX_WORDS


def test_reads_every_customer_turn_not_only_the_first() -> None:
    summary = customer_summary(
        [
            "Hi, could you get me a table on the 8th please?",
            "Make it at 7:30 pm, for four.",
            "Actually I don't want the terrace, inside please.",
            "Yes.",
        ]
    )
    assert "the 8th" in summary and "7:30 pm" in summary
    assert "don't want the terrace" in summary


def test_facts_it_cannot_quote_within_its_length_are_listed() -> None:
    story = "and then the courier came back and said that the box was not there, " * 4
    summary = customer_summary(
        [
            "I would like a refund for my order 7788 please.",
            f"It cost 45 EUR on 12/03 {story}so I waited 3 weeks.",
        ]
    )
    assert summary.startswith("“I would like a refund for my order 7788 please.”")
    assert "Also: " in summary
    for fact in ("45 EUR", "12/03", "3 weeks"):
        assert fact in summary


def test_finds_references_amounts_and_dates_as_written() -> None:
    assert facts_find("Order #A-1234 cost $84, paid one hundred bucks on Friday, 2 days ago") == [
        "A-1234",
        "$84",
        "one hundred bucks",
        "Friday",
        "2 days ago",
    ]


def test_says_what_the_ai_tried_with_results(db: None) -> None:
    conversation = ConversationFactory()
    for text in LOST_PARCEL:
        transcript.message_add(conversation=conversation, sender="customer", text=text)
    AIActionFactory(
        conversation=conversation,
        name="lookup_order",
        params={"order": "5521"},
        detail="lost: order 5521 has been marked lost in transit by the carrier",
    )
    AIActionFactory(
        conversation=conversation,
        name="issue_credit",
        params={"amount": 120},
        outcome=AIAction.Outcome.BLOCKED,
        rule="blocked by rule issue_credit.amount ≤ 50 (asked 120)",
    )

    summary = summary_write(conversation=conversation)

    assert summary.startswith("The customer: “My parcel, order 5521, never arrived.")
    assert "lookup_order order=5521 — succeeded: lost: order 5521 has been marked lost" in summary
    assert "issue_credit amount=120 — blocked: blocked by rule issue_credit.amount ≤ 50" in summary


def test_is_the_same_every_time(db: None) -> None:
    conversation = ConversationFactory()
    transcript.message_add(
        conversation=conversation, sender="customer", text="Card declined twice at the shop"
    )
    assert summary_write(conversation=conversation) == summary_write(conversation=conversation)


def test_says_so_when_the_customer_said_nothing(db: None) -> None:
    assert (
        summary_write(conversation=ConversationFactory())
        == "The customer has not said anything yet."
    )
