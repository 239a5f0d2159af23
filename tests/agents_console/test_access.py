from typing import Any

import pytest
from django.test import Client

from agents_console.models import AuditEvent, Note
from escalation.handoff import handoff_assign, handoff_claim
from escalation.models import Handoff, Message
from tests.agents_console.conftest import logged_in
from tests.support.factories import HandoffFactory, TeamFactory, UserFactory, console_agent

PAGES = ["/console/", "/console/cases/{pk}/"]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitor_is_sent_to_login(queued: Handoff, page: str) -> None:
    response = Client().get(page.format(pk=queued.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", PAGES)
def test_logged_in_non_agent_is_forbidden(queued: Handoff, page: str) -> None:
    response = logged_in(UserFactory()).get(page.format(pk=queued.pk))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "action", ["claim", "reply", "notes", "resolve", "release", "hand-back", "assign"]
)
def test_non_agent_cannot_post_actions(queued: Handoff, action: str) -> None:
    response = logged_in(UserFactory()).post(f"/console/cases/{queued.pk}/{action}/")

    assert response.status_code == 403


def test_actions_refuse_get(agent_client: Client, queued: Handoff) -> None:
    assert agent_client.get(f"/console/cases/{queued.pk}/claim/").status_code == 405


def test_actions_require_csrf_token(agent: Any, queued: Handoff) -> None:
    agent.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(f"/console/cases/{queued.pk}/claim/")

    assert response.status_code == 403
    queued.refresh_from_db()
    assert queued.status == Handoff.Status.QUEUED


@pytest.mark.parametrize("page", ["/console/cases/999999/", "/console/cases/999999/claim/"])
def test_unknown_case_is_404(agent_client: Client, page: str) -> None:
    response = agent_client.post(page) if page.endswith("claim/") else agent_client.get(page)

    assert response.status_code == 404


def every_console_path(pk: int) -> list[str]:
    """Every URL of the console and the dashboard, today's and any added later."""
    from agents_console.urls import urlpatterns
    from surveys.urls import metrics_urlpatterns

    console = [f"/console/{p.pattern}" for p in urlpatterns]
    metrics = [f"/console/metrics/{p.pattern}" for p in metrics_urlpatterns]
    return [path.replace("<int:pk>", str(pk)) for path in console + metrics]


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_console_url_refuses_anonymous_visitors(queued: Handoff, method: str) -> None:
    for path in every_console_path(queued.pk):
        response = getattr(Client(), method)(path)
        assert response.status_code in (302, 403, 405), path
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), path
    queued.refresh_from_db()
    assert queued.status == Handoff.Status.QUEUED


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_console_url_refuses_customers(queued: Handoff, method: str) -> None:
    customer = logged_in(UserFactory(username="maria"))
    for path in every_console_path(queued.pk):
        assert getattr(customer, method)(path).status_code in (403, 405), path
    queued.refresh_from_db()
    assert queued.status == Handoff.Status.QUEUED


def test_agents_are_not_let_into_the_admin(agent_client: Client) -> None:
    response = agent_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# Teams are walls: every surface of a case reads it through queue.handoffs_visible_to.


@pytest.fixture
def billing_case(db: None) -> Handoff:
    """A billing case worked by a billing agent."""
    billing = TeamFactory(name="Billing", slug="billing")
    handoff = HandoffFactory(team=billing, conversation__customer__name="Tom Becker")
    member = console_agent(username="bill", first_name="Bill", teams=(billing,))
    return handoff_claim(handoff=handoff, agent=member)


@pytest.fixture
def outsider(db: None) -> Client:
    """An agent of the shipping team only."""
    shipping = TeamFactory(name="Shipping", slug="shipping")
    return logged_in(console_agent(username="sid", first_name="Sid", teams=(shipping,)))


def test_an_agent_outside_the_team_cannot_open_the_case(
    outsider: Client, billing_case: Handoff
) -> None:
    response = outsider.get(f"/console/cases/{billing_case.pk}/")

    assert response.status_code == 403
    content = response.content.decode()
    assert "belongs to the Billing team, which you are not in" in content
    assert "Tom Becker" not in content
    assert not AuditEvent.objects.filter(handoff=billing_case, kind="opened").exists()


def test_an_agent_outside_the_team_cannot_poll_the_transcript(
    outsider: Client, billing_case: Handoff
) -> None:
    response = outsider.get(
        f"/console/cases/{billing_case.pk}/?poll=1", headers={"HX-Request": "true"}
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("claim", {}),
        ("reply", {"text": "Hello from shipping"}),
        ("notes", {"text": "A note from shipping"}),
        ("resolve", {"resolution": "resolved", "note": "closed by shipping"}),
        ("release", {}),
        ("hand-back", {"note": "over to you"}),
    ],
)
def test_an_agent_outside_the_team_cannot_act_on_the_case(
    outsider: Client, billing_case: Handoff, action: str, data: dict[str, str]
) -> None:
    lines_before = Message.objects.filter(conversation=billing_case.conversation).count()

    response = outsider.post(f"/console/cases/{billing_case.pk}/{action}/", data)

    assert response.status_code == 403
    billing_case.refresh_from_db()
    assert billing_case.status == Handoff.Status.CLAIMED
    assert not Note.objects.filter(handoff=billing_case).exists()
    assert Message.objects.filter(conversation=billing_case.conversation).count() == lines_before


def test_a_queued_case_of_another_team_cannot_be_claimed(outsider: Client, db: None) -> None:
    handoff = HandoffFactory(team=TeamFactory(name="Billing", slug="billing"))

    response = outsider.post(f"/console/cases/{handoff.pk}/claim/")

    assert response.status_code == 403
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.QUEUED


def test_a_team_member_opens_the_case(billing_case: Handoff) -> None:
    member = console_agent(username="bea", teams=(billing_case.team,))

    response = logged_in(member).get(f"/console/cases/{billing_case.pk}/")

    assert response.status_code == 200


def test_a_supervisor_opens_any_teams_case(supervisor: Any, billing_case: Handoff) -> None:
    response = logged_in(supervisor).get(f"/console/cases/{billing_case.pk}/")

    assert response.status_code == 200


def test_an_agent_assigned_a_case_across_teams_may_work_it(
    supervisor: Any, billing_case: Handoff
) -> None:
    shipping_agent = console_agent(username="sol", teams=(TeamFactory(slug="shipping"),))
    handoff_assign(handoff=billing_case, agent=shipping_agent, by=supervisor)

    response = logged_in(shipping_agent).post(
        f"/console/cases/{billing_case.pk}/reply/", {"text": "I have it now."}
    )

    assert response.status_code == 302
    assert billing_case.conversation.messages.filter(text="I have it now.").exists()
