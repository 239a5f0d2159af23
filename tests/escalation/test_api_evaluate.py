from escalation.models import Message
from tests.conftest import BotClient


def test_answers_a_decision_and_stores_nothing(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    response = bot_client.post(
        f"/conversations/{conversation['id']}/evaluate",
        {"draft_text": "Your order ships tomorrow.", "draft_confidence": 0.9},
    )
    assert response.status_code == 200
    assert response.json()["escalate"] is False
    assert not Message.objects.exists()


def test_confidence_is_required(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    response = bot_client.post(f"/conversations/{conversation['id']}/evaluate", {"draft_text": "x"})
    assert response.status_code == 422
    assert "draft_confidence" in response.json()["error"]["message"]


def test_confidence_must_be_a_json_number(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    response = bot_client.post(
        f"/conversations/{conversation['id']}/evaluate", {"draft_confidence": False}
    )
    assert response.status_code == 422
    assert "draft_confidence" in response.json()["error"]["message"]
