from typing import Any

from django.test import Client

from escalation.models import Handoff
from tests.agents_console.conftest import logged_in


def test_audit_events_are_listed_in_the_admin(supervisor: Any, claimed: Handoff) -> None:
    supervisor.is_staff = supervisor.is_superuser = True
    client: Client = logged_in(supervisor)

    content = client.get("/admin/agents_console/auditevent/").content.decode()

    assert "claimed" in content
    assert f"Handoff {claimed.pk}" in content
