from typing import Any

from django.test import Client

from agents_console.models import AuditEvent
from escalation.models import Handoff, Message
from tests.agents_console.conftest import logged_in


def test_a_refused_claim_from_the_case_stays_on_the_case_naming_the_holder(
    other_agent: Any, claimed: Handoff
) -> None:
    response = logged_in(other_agent).post(
        f"/console/cases/{claimed.pk}/claim/", {"from": "case"}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"/console/cases/{claimed.pk}/"
    assert "This case was already taken by Ana Silva." in response.content.decode()


def test_a_refused_htmx_claim_from_the_case_answers_inline(
    other_agent: Any, claimed: Handoff
) -> None:
    response = logged_in(other_agent).post(
        f"/console/cases/{claimed.pk}/claim/", {"from": "case"}, headers={"HX-Request": "true"}
    )

    assert "HX-Redirect" not in response
    assert '<p class="error" role="alert">This case was already taken by Ana Silva.</p>' in (
        response.content.decode()
    )


def test_another_agent_is_offered_a_take_over_naming_the_holder(
    other_agent: Any, claimed: Handoff
) -> None:
    content = logged_in(other_agent).get(f"/console/cases/{claimed.pk}/").content.decode()

    assert "Yes, take it over from Ana Silva" in content
    assert f'name="from" value="{claimed.claimed_by_id}"' in content


def test_a_take_over_without_the_confirmation_changes_nothing(
    other_agent: Any, agent: Any, claimed: Handoff
) -> None:
    response = logged_in(other_agent).post(
        f"/console/cases/{claimed.pk}/take-over/", {"from": agent.pk}, follow=True
    )

    assert "Confirm that you take the case over." in response.content.decode()
    claimed.refresh_from_db()
    assert claimed.claimed_by == agent


def test_a_confirmed_take_over_moves_the_case_tells_both_sides_and_is_audited(
    other_agent: Any, agent: Any, claimed: Handoff
) -> None:
    client = logged_in(other_agent)

    client.post(f"/console/cases/{claimed.pk}/take-over/", {"from": agent.pk, "confirm": "yes"})

    claimed.refresh_from_db()
    assert (claimed.status, claimed.claimed_by) == ("claimed", other_agent)
    event = AuditEvent.objects.get(handoff=claimed, kind=AuditEvent.Kind.TAKEN_OVER)
    assert (event.actor, event.detail) == (other_agent, "from Ana Silva")
    line = Message.objects.filter(conversation=claimed.conversation).last()
    assert line.text == "Ben Okafor from support has taken over the conversation."
    client.post(f"/console/cases/{claimed.pk}/reply/", {"text": "Ben here."})
    assert Message.objects.filter(conversation=claimed.conversation).last().text == "Ben here."


def test_a_confirmation_given_for_another_holder_takes_nothing(
    other_agent: Any, supervisor: Any, claimed: Handoff
) -> None:
    """The case changed hands after the page was read: the confirmation named someone else."""
    response = logged_in(other_agent).post(
        f"/console/cases/{claimed.pk}/take-over/",
        {"from": supervisor.pk, "confirm": "yes"},
        follow=True,
    )

    assert "nothing was taken over" in response.content.decode()
    claimed.refresh_from_db()
    assert claimed.claimed_by.username == "ana"


def test_the_replaced_agent_can_no_longer_reply(
    agent_client: Client, agent: Any, other_agent: Any, claimed: Handoff
) -> None:
    logged_in(other_agent).post(
        f"/console/cases/{claimed.pk}/take-over/", {"from": agent.pk, "confirm": "yes"}
    )

    response = agent_client.post(
        f"/console/cases/{claimed.pk}/reply/", {"text": "Still me?"}, follow=True
    )

    assert "take it over" in response.content.decode()
    assert not Message.objects.filter(text="Still me?").exists()
