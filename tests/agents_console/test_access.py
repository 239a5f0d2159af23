from typing import Any

import pytest
from django.test import Client

from escalation.models import Handoff
from tests.agents_console.conftest import logged_in
from tests.factories import UserFactory

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
