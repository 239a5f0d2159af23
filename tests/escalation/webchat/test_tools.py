from typing import Any

import pytest

from escalation.models import AIAction
from escalation.transcript import message_add
from escalation.webchat import tools
from escalation.webchat.tools import Tool, ToolGate, ToolRun
from tests.support.factories import ConversationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scope")]


@pytest.fixture
def gate() -> ToolGate:
    conversation = ConversationFactory(channel="web-chat")
    turn = message_add(conversation=conversation, sender="customer", text="20 EUR back please")
    return ToolGate(conversation=conversation, turn=turn)


@pytest.fixture
def performed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every time the credit tool really runs."""
    runs: list[Any] = []
    original = tools.TOOLS["issue_credit"]

    def counted(params: Any) -> ToolRun:
        runs.append(params)
        return original.run(params)

    monkeypatch.setitem(
        tools.TOOLS,
        "issue_credit",
        Tool(original.name, original.description, original.parameters, counted),
    )
    return runs


def test_an_authorised_call_runs_and_is_recorded_with_its_result(
    gate: ToolGate, performed: list[Any]
) -> None:
    result = gate.call("issue_credit", {"amount": 20, "currency": "EUR"})

    assert (result.outcome, result.detail, result.escalated) == (
        "succeeded",
        "credited 20 EUR",
        False,
    )
    assert len(performed) == 1
    action = AIAction.objects.get()
    assert (action.params, action.detail) == ({"amount": 20, "currency": "EUR"}, "credited 20 EUR")


def test_a_call_over_the_limit_never_runs(gate: ToolGate, performed: list[Any]) -> None:
    result = gate.call("issue_credit", {"amount": 51})

    assert (result.outcome, result.escalated) == ("blocked", True)
    assert "issue_credit.amount ≤ 50" in result.rule
    assert performed == []


def test_an_amount_given_as_words_is_blocked_not_guessed(
    gate: ToolGate, performed: list[Any]
) -> None:
    assert gate.call("issue_credit", {"amount": "a thousand"}).outcome == "blocked"
    assert performed == []


def test_arguments_outside_the_schema_fail_without_running(
    gate: ToolGate, performed: list[Any]
) -> None:
    result = gate.call("issue_credit", {"amount": 20, "currency": "BTC"})

    assert result.outcome == "failed" and result.arguments_were_invalid
    assert result.detail.startswith("invalid arguments: currency")
    assert performed == []


def test_a_call_repeated_for_the_same_turn_is_answered_from_its_record(
    gate: ToolGate, performed: list[Any]
) -> None:
    """The turn's task ran twice: the credit is not issued twice."""
    first = gate.call("issue_credit", {"amount": 20, "currency": "EUR"})
    again = ToolGate(conversation=gate.conversation, turn=gate.turn)

    assert again.call("issue_credit", {"amount": 20, "currency": "EUR"}) == first
    assert len(performed) == 1
    assert AIAction.objects.count() == 1


def test_the_tools_are_declared_for_the_model_with_their_schemas() -> None:
    schema = tools.TOOLS["issue_credit"].schema()
    assert schema["type"] == "function"
    assert schema["function"]["name"] == "issue_credit"
    assert schema["function"]["parameters"]["required"] == ["amount"]
