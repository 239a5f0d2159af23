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
