from tests.conftest import BotClient


def test_returns_status_handoff_and_messages(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    for n in range(3):
        bot_client.post(
            f"/conversations/{cid}/messages",
            {"external_id": f"m{n}", "sender": "customer", "text": f"message {n}"},
        )
    bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})

    data = bot_client.get(f"/conversations/{cid}").json()

    assert data["status"] == "queued"
    assert data["handoff"]["status"] == "queued"
    assert data["assigned_agent"] is None
    assert [m["text"] for m in data["messages"][:3]] == ["message 0", "message 1", "message 2"]
    assert data["messages"][3]["sender"] == "system"


def test_since_returns_only_newer_messages(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    ids = [
        bot_client.post(
            f"/conversations/{cid}/messages",
            {"external_id": f"m{n}", "sender": "customer", "text": f"m {n}"},
        ).json()["message"]["id"]
        for n in range(3)
    ]
    data = bot_client.get(f"/conversations/{cid}?since={ids[0]}").json()
    assert [m["id"] for m in data["messages"]] == ids[1:]


def test_since_must_be_a_message_id(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    assert bot_client.get(f"/conversations/{cid}?since=yesterday").status_code == 422


def test_openapi_document_is_served(bot_client: BotClient) -> None:
    response = bot_client.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/conversations/{conversation_id}/evaluate" in paths
    assert "/api/v1/conversations" in paths


def test_a_conversation_id_that_is_not_a_number_is_404(bot_client: BotClient) -> None:
    bot_client.open_conversation()
    response = bot_client.get("/conversations/seven")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "No such conversation for this bot.",
    }
