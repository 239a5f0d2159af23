"""Security headers on every kind of page, and a Content-Security-Policy the pages satisfy:
no inline scripts, styles or event handlers (rendered or in a template)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.models import Handoff, TriggerPolicy
from surveys.links import survey_send
from tests.agents_console.conftest import logged_in
from tests.support.factories import HandoffFactory, UserFactory, console_agent
from tests.surveys.conftest import survey_path

pytestmark = pytest.mark.django_db


class InlineCode(HTMLParser):
    """What a CSP without 'unsafe-inline' blocks: script bodies, <style>, on* and style=."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        for name in names:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
        # JSON data blocks (json_script) are not run; a script with a src has no body.
        self.in_script = (
            tag == "script" and "src" not in names and names.get("type") != ("application/json")
        )

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def handoff() -> Handoff:
    return HandoffFactory(
        status=Handoff.Status.RESOLVED, resolved_at=timezone.now(), claimed_at=timezone.now()
    )


def pages(handoff: Handoff) -> dict[str, tuple[Client, str]]:
    agent = logged_in(console_agent(username="ana"))
    maria = UserFactory(username="maria")
    maria.save()
    customer = Client()
    customer.force_login(maria)
    admin = Client()
    admin.force_login(User.objects.create_superuser("sam", "sam@example.com", "pw"))
    survey = survey_send(handoff=handoff)
    assert survey is not None
    policy = TriggerPolicy.current()
    return {
        "login": (Client(), "/accounts/login/"),
        "queue": (agent, "/console/"),
        "case": (agent, f"/console/cases/{handoff.pk}/"),
        "metrics": (admin, "/console/metrics/"),
        "chat": (customer, "/chat/"),
        "survey": (Client(), survey_path(handoff)),
        "admin": (admin, "/admin/"),
        "admin list": (admin, reverse("admin:escalation_handoff_changelist")),
        "admin change": (admin, reverse("admin:escalation_handoff_change", args=[handoff.pk])),
        "admin policy": (admin, reverse("admin:escalation_triggerpolicy_change", args=[policy.pk])),
    }


def test_every_page_carries_the_security_headers(handoff: Handoff) -> None:
    for name, (client, path) in pages(handoff).items():
        response = client.get(path)
        assert response.status_code == 200, name
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp, name
        assert "style-src 'self'" in csp, name
        assert "connect-src 'self'" in csp, name
        assert "frame-ancestors 'none'" in csp, name
        assert "unsafe" not in csp, name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", name
        assert "camera=()" in response["Permissions-Policy"], name


def test_every_page_satisfies_the_policy(handoff: Handoff) -> None:
    for name, (client, path) in pages(handoff).items():
        html = client.get(path).content.decode()
        assert inline_code(html) == [], name


def test_the_bot_api_carries_the_headers_too(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]


WEB_TEMPLATES = [
    path
    for root in [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/templates")]
    for path in Path(root).rglob("*.html")
    # Email clients are not browsers under our policy, and many ignore <style>: inline styles.
    if not path.name.endswith("_email.html")
]


@pytest.mark.parametrize("template", WEB_TEMPLATES, ids=lambda p: p.name)
def test_no_template_has_inline_code(template: Path) -> None:
    # Template tags are blanked so that the HTML parser reads the markup around them.
    html = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", template.read_text())
    assert inline_code(html) == []
    assert "hx-on" not in html  # htmx runs those with eval, which the policy forbids
