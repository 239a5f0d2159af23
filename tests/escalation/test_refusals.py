import logging
from typing import Any

import pytest
from django.test import Client

from tests.agents_console.conftest import logged_in
from tests.support.factories import UserFactory, console_agent


@pytest.fixture
def customer(db: None) -> Client:
    return logged_in(UserFactory(username="maria"))


def test_a_refused_permission_logs_one_line_without_a_traceback(
    customer: Client, caplog: Any
) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        customer.get("/console/")

    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in refusals] == ["Forbidden (Permission denied): /console/"]
    assert refusals[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_a_refused_page_says_why_and_links_back(customer: Client) -> None:
    response = customer.get("/console/", headers={"Referer": "http://testserver/chat/"})

    assert response.status_code == 403
    content = response.content.decode()
    assert "<h1>You can't open this page</h1>" in content
    assert "The console is for agents and supervisors." in content
    assert '<a href="http://testserver/chat/">Back to the previous page</a>' in content
    assert '<a href="/chat/">Go to your chat</a>' in content


def test_a_refused_page_does_not_link_back_to_another_site(customer: Client) -> None:
    response = customer.get("/console/", headers={"Referer": "http://evil.example/"})

    assert "evil.example" not in response.content.decode()


def test_an_agent_refused_a_page_is_offered_the_queue(db: None) -> None:
    response = logged_in(console_agent()).post("/console/cases/1/assign/")

    assert response.status_code == 403
    assert '<a href="/console/">Go to the queue</a>' in response.content.decode()


def test_a_failed_csrf_check_says_what_to_do(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(console_agent())

    response = client.post("/console/presence/", {"presence": "away"})

    assert response.status_code == 403
    content = response.content.decode()
    assert "Go back, reload the page and try again." in content
    assert "Reason given: CSRF cookie not set." in content
