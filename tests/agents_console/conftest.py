from typing import Any

import pytest
from django.test import Client

from escalation.handoff import handoff_claim
from escalation.models import Handoff
from tests.support.factories import HandoffFactory, console_agent, supervisor_user


def logged_in(user: Any) -> Client:
    user.save()  # the factory sets the password without saving it; the session hash needs it
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent(db: None) -> Any:
    return console_agent(username="ana", first_name="Ana", last_name="Silva")


@pytest.fixture
def other_agent(db: None) -> Any:
    return console_agent(username="ben", first_name="Ben", last_name="Okafor")


@pytest.fixture
def supervisor(db: None) -> Any:
    return supervisor_user(username="sam", first_name="Sam")


@pytest.fixture
def agent_client(agent: Any) -> Client:
    return logged_in(agent)


@pytest.fixture
def queued(db: None) -> Handoff:
    return HandoffFactory(
        conversation__customer__name="Tom Becker",
        summary="Order 1234 is late.\nThe customer wants a credit.",
        triggers=[{"kind": "low_confidence", "fired": True, "evidence": "confidence 0.3"}],
        actions=[
            {
                "name": "issue_credit",
                "params": {"amount": 80},
                "outcome": "blocked",
                "detail": "",
                "rule": "blocked by rule issue_credit.amount ≤ 50 (asked 80)",
            }
        ],
    )


@pytest.fixture
def claimed(queued: Handoff, agent: Any) -> Handoff:
    return handoff_claim(handoff=queued, agent=agent)
