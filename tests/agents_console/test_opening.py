from agents_console.opening import opening_line
from tests.support.factories import HandoffFactory

LOST_PARCEL = [
    "Hello",
    "My parcel, order 5521, never arrived. I have been waiting two weeks. Please refund the "
    "120 EUR to my card.",
]


def test_names_the_problem_in_the_customers_words_and_what_the_screen_shows(db: None) -> None:
    handoff = HandoffFactory(
        identity={"name": "Maria Gomez"},
        actions=[
            {"name": "lookup_order", "outcome": "succeeded", "detail": "lost: order 5521 …"},
            {"name": "issue_credit", "outcome": "blocked", "rule": "max 50", "detail": ""},
        ],
    )

    assert opening_line(handoff=handoff, customer_turns=LOST_PARCEL) == (
        "Hi Maria, I've read your messages about “My parcel, order 5521, never arrived”. I can "
        "see what our assistant found and that the credit could not be done automatically — "
        "let me sort that out for you."
    )


def test_claims_no_order_details_when_nothing_was_looked_up(db: None) -> None:
    handoff = HandoffFactory(identity={"name": "Maria Gomez"}, actions=[])

    line = opening_line(handoff=handoff, customer_turns=["Where is my order 1234 please?"])

    assert line == (
        "Hi Maria, I've read your messages about “Where is my order 1234 please”. Let me take "
        "it from here."
    )
    assert "details" not in line and "I can see" not in line


def test_a_blocked_action_alone_is_said_as_such(db: None) -> None:
    handoff = HandoffFactory(
        identity={"name": ""}, actions=[{"name": "issue_credit", "outcome": "blocked"}]
    )
    assert opening_line(handoff=handoff, customer_turns=[]) == (
        "Hi, I can see that the credit could not be done automatically — let me sort that out "
        "for you."
    )


def test_without_facts_it_still_picks_up_the_thread(db: None) -> None:
    handoff = HandoffFactory(identity={"name": ""}, actions=[])

    assert opening_line(handoff=handoff, customer_turns=["ok"]) == (
        "Hi, I've read through our conversation so far — let me take it from here."
    )
