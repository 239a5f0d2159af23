from typing import Any

from django.test import Client

from agents_console.models import ConsoleSettings
from escalation.models import Handoff
from tests.agents_console.conftest import logged_in


def test_audit_events_are_listed_in_the_admin(supervisor: Any, claimed: Handoff) -> None:
    supervisor.is_staff = supervisor.is_superuser = True
    client: Client = logged_in(supervisor)

    content = client.get("/admin/agents_console/auditevent/").content.decode()

    assert "claimed" in content
    assert f"Handoff {claimed.pk}" in content


def test_supervisor_sets_the_reply_timeout(supervisor: Any) -> None:
    supervisor.is_staff = supervisor.is_superuser = True
    client: Client = logged_in(supervisor)

    listing = client.get("/admin/agents_console/consolesettings/")
    response = client.post(listing["Location"], {"agent_reply_timeout_minutes": "5"})

    assert response.status_code == 302
    assert ConsoleSettings.current().agent_reply_timeout_minutes == 5


def test_the_reply_timeout_is_at_least_a_minute(supervisor: Any) -> None:
    supervisor.is_staff = supervisor.is_superuser = True
    client: Client = logged_in(supervisor)
    url = f"/admin/agents_console/consolesettings/{ConsoleSettings.current().pk}/change/"

    response = client.post(url, {"agent_reply_timeout_minutes": "0"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["agent_reply_timeout_minutes"]
