from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.bots import api_key_revoke
from escalation.models import ApiKey, Conversation
from tests.conftest import BotClient


def test_missing_key_is_401(db: None) -> None:
    response = Client().post("/api/v1/conversations", data="{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_wrong_key_is_401(bot_client: BotClient) -> None:
    bot_client.key = "hov_not-a-real-key"
    response = bot_client.get("/conversations/1")
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]["message"]


def test_keys_are_stored_hashed(bot_client: BotClient) -> None:
    stored = ApiKey.objects.get(bot=bot_client.bot)
    assert bot_client.key not in (stored.hashed_key, stored.hint)
    assert stored.hashed_key == ApiKey.hash(bot_client.key)


def test_revoked_key_is_refused(bot_client: BotClient) -> None:
    bot_client.open_conversation()
    api_key_revoke(key=ApiKey.objects.get(bot=bot_client.bot))
    response = bot_client.post(
        "/conversations", {"external_id": "c-2", "customer": {"external_id": "x"}}
    )
    assert response.status_code == 401
    assert Conversation.objects.count() == 1


def test_a_key_is_read_from_the_database_once_then_from_the_cache(
    bot_client: BotClient,
) -> None:
    bot_client.open_conversation()
    assert ApiKey.objects.get(bot=bot_client.bot).last_used_at is not None

    with CaptureQueriesContext(connection) as queries:
        assert bot_client.get("/conversations/999999").status_code == 404

    assert not [q for q in queries.captured_queries if "escalation_apikey" in q["sql"]]


def key_revoked_in_the_admin(bot_client: BotClient) -> None:
    key = ApiKey.objects.get(bot=bot_client.bot)
    key.revoked_at = timezone.now()
    key.save()


def key_deleted(bot_client: BotClient) -> None:
    ApiKey.objects.filter(bot=bot_client.bot).delete()


def bot_deactivated(bot_client: BotClient) -> None:
    bot = bot_client.bot
    bot.is_active = False
    bot.save()


@pytest.mark.parametrize("change", [key_revoked_in_the_admin, key_deleted, bot_deactivated])
def test_a_cached_key_stops_working_at_once(
    bot_client: BotClient, change: Callable[[BotClient], None]
) -> None:
    bot_client.open_conversation()  # the key is cached now

    change(bot_client)

    response = bot_client.post(
        "/conversations", {"external_id": "c-2", "customer": {"external_id": "x"}}
    )
    assert response.status_code == 401
    assert Conversation.objects.count() == 1


def test_another_bots_conversation_is_404_not_403(
    bot_client: BotClient, other_bot_client: BotClient
) -> None:
    conversation = bot_client.open_conversation()
    path = f"/conversations/{conversation['id']}"
    assert other_bot_client.get(path).status_code == 404
    response = other_bot_client.post(
        f"{path}/messages", {"external_id": "m1", "sender": "customer", "text": "hi"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Conversation.objects.get(pk=conversation["id"]).messages.exists()


def test_unknown_conversation_is_404(bot_client: BotClient) -> None:
    assert bot_client.get("/conversations/999999").status_code == 404


def test_oversized_body_is_413_before_parsing(bot_client: BotClient, settings: object) -> None:
    conversation = bot_client.open_conversation()
    body = {"external_id": "m1", "sender": "customer", "text": "x" * (70 * 1024)}
    response = bot_client.post(f"/conversations/{conversation['id']}/messages", body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Conversation.objects.get(pk=conversation["id"]).messages.exists()
