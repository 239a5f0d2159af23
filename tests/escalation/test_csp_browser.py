"""The pages run under the Content-Security-Policy in a real browser: no violation reported
on the console, the case screen (with its socket), the chat or the admin."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from escalation.handoff import handoff_create
from escalation.models import Handoff
from tests.factories import ConversationFactory, UserFactory, supervisor_user

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


@pytest.fixture
def browser_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.add_init_script(REPORT_VIOLATIONS)
        yield page
        browser.close()


def log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def violations_on(page: Any, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return list(page.evaluate("window.__violations"))


@pytest.fixture
def handoff(transactional_db: None) -> Handoff:
    handoff, _ = handoff_create(conversation=ConversationFactory())
    sam = supervisor_user(username="sam")
    User.objects.filter(pk=sam.pk).update(is_staff=True, is_superuser=True)
    return handoff


@pytest.fixture
def maria(transactional_db: None) -> Any:
    maria = UserFactory(username="maria")
    maria.save()
    return maria


# The data fixtures come before browser_page: the browser's event loop forbids the ORM after.
def test_console_and_admin_raise_no_violation(
    handoff: Handoff, live_server_url: str, browser_page: Any
) -> None:
    log_in(browser_page, live_server_url, "sam")

    for path in [
        "/console/",
        f"/console/cases/{handoff.pk}/",
        "/console/metrics/",
        "/admin/",
        f"/admin/escalation/handoff/{handoff.pk}/change/",
        "/admin/escalation/triggerpolicy/",
        "/api/v1/docs",
    ]:
        assert violations_on(browser_page, live_server_url + path) == [], path


def test_the_chat_raises_no_violation(maria: Any, live_server_url: str, browser_page: Any) -> None:
    log_in(browser_page, live_server_url, "maria")

    assert violations_on(browser_page, f"{live_server_url}/chat/") == []
