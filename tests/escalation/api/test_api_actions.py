from typing import Any

import pytest

from escalation.models import AIAction
from tests.conftest import BotClient


def post_action(bot_client: BotClient, conversation_id: int, **body: object) -> Any:
    payload = {
        "external_id": "a1",
        "name": "lookup_order",
        "params": {"order": "1234"},
        "outcome": "succeeded",
        "detail": "status: delayed",
    } | body
    return bot_client.post(f"/conversations/{conversation_id}/actions", payload)


def test_records_the_action_with_its_result(bot_client: BotClient, scope: None) -> None:
    conversation = bot_client.open_conversation()
    response = post_action(bot_client, conversation["id"])
    assert response.status_code == 201
    data = response.json()
    assert data["allowed"] is True
    assert data["rule"] is None
    assert data["outcome"] == "succeeded"
    assert "decision" in data
    action = AIAction.objects.get()
    assert action.params == {"order": "1234"}
    assert action.detail == "status: delayed"


def test_retry_returns_the_first_result(bot_client: BotClient, scope: None) -> None:
    conversation = bot_client.open_conversation()
    first = post_action(bot_client, conversation["id"])
    second = post_action(bot_client, conversation["id"])
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert AIAction.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"name": "issue_credit"},
        {"params": {"order": "9999"}},
        {"outcome": "failed"},
        {"detail": "status: lost"},
    ],
    ids=["name", "params", "outcome", "detail"],
)
def test_a_retry_with_other_values_is_an_idempotency_conflict(
    bot_client: BotClient, scope: None, change: dict[str, object]
) -> None:
    conversation = bot_client.open_conversation()
    first = post_action(bot_client, conversation["id"]).json()

    response = post_action(bot_client, conversation["id"], **change)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "idempotency_conflict"
    assert next(iter(change)) in error["message"]
    stored = AIAction.objects.get()
    assert (stored.name, stored.params, stored.detail) == (
        first["name"],
        first["params"],
        first["detail"],
    )


def test_a_retry_of_a_blocked_action_answers_the_first(bot_client: BotClient, scope: None) -> None:
    """The scope check stores it as blocked; the retry still reports what the bot did."""
    conversation = bot_client.open_conversation()
    body = {"name": "issue_credit", "params": {"amount": 80}, "outcome": "succeeded"}
    first = post_action(bot_client, conversation["id"], **body)

    retry = post_action(bot_client, conversation["id"], **body)

    assert first.json()["outcome"] == "blocked"
    assert (retry.status_code, retry.json()) == (200, first.json())


def test_deeply_nested_params_are_422(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    params: dict[str, object] = {}
    node = params
    for _ in range(10):
        node["x"] = {}
        node = node["x"]  # type: ignore[assignment]
    response = post_action(bot_client, conversation["id"], params=params)
    assert response.status_code == 422
    assert not AIAction.objects.exists()


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e309"])
def test_params_with_a_number_json_cannot_hold_are_422(bot_client: BotClient, number: str) -> None:
    conversation = bot_client.open_conversation()
    body = f'{{"external_id": "a1", "name": "lookup_order", "params": {{"order": {number}}}}}'

    response = bot_client.post(f"/conversations/{conversation['id']}/actions", body)

    assert response.status_code == 422
    assert "params" in response.json()["error"]["message"]
    assert not AIAction.objects.exists()


def test_an_integer_too_long_to_read_is_400(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    body = '{"external_id": "a1", "name": "lookup_order", "params": {"n": ' + "9" * 5000 + "}}"

    response = bot_client.post(f"/conversations/{conversation['id']}/actions", body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert not AIAction.objects.exists()


def test_a_body_nested_thousands_deep_is_400(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    nested = "[" * 30_000 + "]" * 30_000
    body = f'{{"external_id": "a1", "name": "lookup_order", "params": {{"n": {nested}}}}}'

    response = bot_client.post(f"/conversations/{conversation['id']}/actions", body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert not AIAction.objects.exists()


def test_unknown_outcome_is_422(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    assert post_action(bot_client, conversation["id"], outcome="maybe").status_code == 422


def test_the_customer_is_told_of_the_handoff_without_the_rule(
    bot_client: BotClient, scope: None
) -> None:
    conversation = bot_client.open_conversation()

    post_action(bot_client, conversation["id"], name="issue_credit", params={"amount": 80})

    system = [
        m["text"]
        for m in bot_client.get(f"/conversations/{conversation['id']}").json()["messages"]
        if m["sender"] == "system"
    ]
    assert system == ["Handed off to a human agent."]
