from typing import Any

import pytest
from django.test import Client

from escalation.models import Disposition, Handoff


@pytest.fixture
def billing(db: None) -> Disposition:
    return Disposition.objects.create(name="Billing")


def test_resolving_offers_the_active_kinds_of_problem(
    agent_client: Client, claimed: Handoff, billing: Disposition
) -> None:
    Disposition.objects.create(name="Retired", is_active=False)

    content = agent_client.get(f"/console/cases/{claimed.pk}/").content.decode()

    assert f'<option value="{billing.pk}">Billing</option>' in content
    assert "Retired" not in content


def test_resolving_without_a_kind_of_problem_is_refused(
    agent_client: Client, claimed: Handoff, billing: Disposition
) -> None:
    response = agent_client.post(
        f"/console/cases/{claimed.pk}/resolve/", {"resolution": "resolved"}, follow=True
    )

    assert "Choose what kind of problem it was." in response.content.decode()
    claimed.refresh_from_db()
    assert claimed.status == Handoff.Status.CLAIMED


def test_a_retired_kind_of_problem_is_refused(
    agent_client: Client, claimed: Handoff, billing: Disposition
) -> None:
    retired = Disposition.objects.create(name="Retired", is_active=False)

    agent_client.post(
        f"/console/cases/{claimed.pk}/resolve/",
        {"resolution": "resolved", "disposition": retired.pk},
    )

    claimed.refresh_from_db()
    assert claimed.status == Handoff.Status.CLAIMED


def test_the_chosen_kind_of_problem_is_stored_and_audited(
    agent_client: Client, agent: Any, claimed: Handoff, billing: Disposition
) -> None:
    agent_client.post(
        f"/console/cases/{claimed.pk}/resolve/",
        {"resolution": "resolved", "disposition": billing.pk, "note": "Refunded."},
    )

    claimed.refresh_from_db()
    assert (claimed.status, claimed.disposition) == (Handoff.Status.RESOLVED, billing)
    assert claimed.audit_events.get(kind="resolved").detail == "Resolved (Billing): Refunded."


def test_with_no_kinds_defined_a_case_resolves_without_one(
    agent_client: Client, claimed: Handoff
) -> None:
    agent_client.post(f"/console/cases/{claimed.pk}/resolve/", {"resolution": "resolved"})

    claimed.refresh_from_db()
    assert (claimed.status, claimed.disposition) == (Handoff.Status.RESOLVED, None)
