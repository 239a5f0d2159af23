from typing import Any

from django.test import Client

from agents_console.models import SavedReply
from agents_console.saved_replies import placeholders_fill
from escalation.models import Handoff
from tests.agents_console.conftest import logged_in
from tests.support.factories import HandoffFactory, TeamFactory, console_agent

LATE = "Hi {first_name}, I'm {agent_name}. Order {order_number} ships today."


def test_placeholders_are_filled_from_the_packet_and_the_agent(
    agent_client: Client, claimed: Handoff
) -> None:
    SavedReply.objects.create(title="Late order", text=LATE)

    content = agent_client.get(f"/console/cases/{claimed.pk}/").content.decode()

    assert 'data-text="Hi Tom, I&#x27;m Ana. Order 1234 ships today."' in content


def test_a_placeholder_the_case_cannot_fill_is_left_for_the_agent() -> None:
    text = placeholders_fill(LATE, values={"first_name": "Tom", "agent_name": "Ana"})

    assert text == "Hi Tom, I'm Ana. Order {order_number} ships today."
    assert placeholders_fill("Order {order_number}", values={"order_number": ""}) == (
        "Order [order number]"
    )


def test_the_order_number_comes_from_an_action_when_the_summary_names_none(
    agent: Any,
) -> None:
    handoff = HandoffFactory(
        summary="Where is my parcel?",
        actions=[{"name": "lookup_order", "params": {"order_id": "A-778"}, "outcome": "ok"}],
    )
    SavedReply.objects.create(title="Late order", text="Order {order_number}")

    response = logged_in(agent).get(f"/console/cases/{handoff.pk}/saved-replies/")

    assert 'data-text="Order A-778"' in response.content.decode()


def test_the_search_finds_by_title_or_text(agent_client: Client, claimed: Handoff) -> None:
    SavedReply.objects.create(title="Late order", text=LATE)
    SavedReply.objects.create(title="Refund sent", text="Your refund is on its way.")

    content = agent_client.get(
        f"/console/cases/{claimed.pk}/saved-replies/?q=refund", headers={"HX-Request": "true"}
    ).content.decode()

    assert "Refund sent" in content
    assert "Late order" not in content


def test_a_teams_saved_replies_are_offered_on_its_cases_only(db: None) -> None:
    billing, shipping = TeamFactory(slug="billing"), TeamFactory(slug="shipping")
    agent = console_agent(teams=(billing, shipping))
    SavedReply.objects.create(title="Everyone", text="Hello")
    SavedReply.objects.create(title="Billing only", text="Invoice", team=billing)
    case = HandoffFactory(team=shipping)

    content = logged_in(agent).get(f"/console/cases/{case.pk}/saved-replies/").content.decode()

    assert "Everyone" in content
    assert "Billing only" not in content


def test_another_teams_case_offers_no_saved_replies(db: None) -> None:
    billing, shipping = TeamFactory(slug="billing"), TeamFactory(slug="shipping")
    agent = console_agent(teams=(billing,))
    case = HandoffFactory(team=shipping)

    response = logged_in(agent).get(f"/console/cases/{case.pk}/saved-replies/")

    assert response.status_code == 403


def test_the_reply_box_keeps_its_saved_replies_after_sending(
    agent_client: Client, claimed: Handoff
) -> None:
    SavedReply.objects.create(title="Late order", text=LATE)

    response = agent_client.post(
        f"/console/cases/{claimed.pk}/reply/", {"text": "Hi Tom."}, headers={"HX-Request": "true"}
    )

    assert 'data-text="Hi Tom, I&#x27;m Ana. Order 1234 ships today."' in response.content.decode()
