import threading
from typing import Any

import pytest

from escalation.models import Conversation, Handoff, Message
from tests.conftest import BotClient
from tests.support.race import race


@pytest.mark.django_db(transaction=True)
def test_identical_message_posts_store_exactly_one_row(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    body = {"external_id": "m1", "sender": "customer", "text": "Where is my refund?"}

    def post() -> Any:
        return BotClient(bot_client.bot, bot_client.key).post(
            f"/conversations/{cid}/messages", body
        )

    responses = race(4, post)

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.content for r in responses}) == 1
    assert Message.objects.filter(conversation_id=cid).count() == 1


@pytest.mark.django_db(transaction=True)
def test_identical_conversation_posts_store_exactly_one_row(bot_client: BotClient) -> None:
    body = {"external_id": "c-race", "customer": {"external_id": "cust-race", "name": "Ana"}}

    def post() -> Any:
        return BotClient(bot_client.bot, bot_client.key).post("/conversations", body)

    responses = race(4, post)

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert Conversation.objects.filter(external_id="c-race").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_handoffs_with_different_ids_open_one(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    ids = iter(["h1", "h2", "h3", "h4"])
    lock = threading.Lock()

    def post() -> Any:
        with lock:
            external_id = next(ids)
        client = BotClient(bot_client.bot, bot_client.key)
        return client.post(f"/conversations/{cid}/handoff", {"external_id": external_id})

    responses = race(4, post)

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert Handoff.objects.filter(conversation_id=cid).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_handoff_all_answer_the_first(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]

    def post() -> Any:
        client = BotClient(bot_client.bot, bot_client.key)
        return client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})

    responses = race(20, post)

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    first = next(r.json() for r in responses if r.status_code == 201)
    assert all(r.json() == first for r in responses)  # jsonb may reorder keys: compare values
    assert Handoff.objects.filter(conversation_id=cid).count() == 1
