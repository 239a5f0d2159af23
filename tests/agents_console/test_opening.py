from agents_console.opening import opening_line
from tests.factories import HandoffFactory


def test_opening_line_names_customer_entities_and_blocked_action(db: None) -> None:
    handoff = HandoffFactory(
        identity={"name": "Ana Gomez"},
        summary="My order 1234 is delayed, I want 80 EUR back.",
        actions=[{"name": "issue_credit", "outcome": "blocked", "rule": "max 50"}],
    )

    assert opening_line(handoff=handoff) == (
        "Hi Ana, I can see the details of your order 1234 and the credit could not be "
        "completed automatically — let me sort that out for you."
    )


def test_opening_line_without_facts_still_picks_up_the_thread(db: None) -> None:
    handoff = HandoffFactory(identity={"name": ""}, summary="Something odd.", actions=[])

    assert opening_line(handoff=handoff) == (
        "Hi, I've read through our conversation so far — let me take it from here."
    )
