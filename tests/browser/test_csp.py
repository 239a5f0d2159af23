"""The pages run under the Content-Security-Policy in a real browser: no violation reported
on the console, the case screen (with its socket), the dashboard, the admin, the API docs or
the chat."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from tests.support.factories import HandoffFactory

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def violations_on(page: Page, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return list(page.evaluate("window.__violations"))


def test_console_admin_docs_and_chat_raise_no_violation(
    signed_in: Callable[..., Page], people: dict[str, Any]
) -> None:
    handoff = HandoffFactory()
    User.objects.filter(pk=people["sam"].pk).update(is_staff=True, is_superuser=True)
    sam, maria = signed_in(people["sam"]), signed_in(people["maria"])
    for page in (sam, maria):
        page.add_init_script(REPORT_VIOLATIONS)

    for path in [
        "/console/",
        f"/console/cases/{handoff.pk}/",
        "/console/metrics/",
        "/admin/",
        f"/admin/escalation/handoff/{handoff.pk}/change/",
        "/admin/escalation/triggerpolicy/",
        "/api/v1/docs",
    ]:
        assert violations_on(sam, path) == [], path
    assert violations_on(maria, "/chat/") == []
