import hashlib
import hmac
import json
from typing import Any

import pytest

from escalation import transcript
from escalation.handoff import handoff_claim, handoff_create, handoff_resolve
from escalation.models import Conversation, Handoff, Message, WebhookDelivery
from escalation.tasks import webhook_deliver
from tests.support.factories import ConversationFactory, agent_user
from tests.support.webhook_server import Endpoint, handover_webhook_is_genuine

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_webhooks(settings: Any) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3


def bot_conversation(url: str) -> Conversation:
    return ConversationFactory(callback_url=url)


def queued_delivery(url: str) -> WebhookDelivery:
    handoff_create(conversation=bot_conversation(url), reason="The customer asked for a person.")
    return WebhookDelivery.objects.get()


def test_handoff_records_a_delivery_and_sends_it_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        queued_delivery("http://127.0.0.1:9/hooks")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "handoff.created"
    assert delivery.payload["data"]["handoff"]["reason"] == "The customer asked for a person."
    sends = [c for c in callbacks if "webhook_deliver" in repr(c)]
    assert len(sends) == 1  # sent only once the handoff is committed


def test_conversation_without_a_callback_url_gets_no_webhooks() -> None:
    conversation = ConversationFactory(callback_url="", channel="web-chat")
    handoff_create(conversation=conversation)
    assert not WebhookDelivery.objects.exists()


def test_the_bot_callback_url_is_used_when_the_conversation_names_none() -> None:
    conversation = ConversationFactory(callback_url="", bot__callback_url="https://bot.example/h")
    handoff_create(conversation=conversation)
    assert WebhookDelivery.objects.get().url == "https://bot.example/h"


def test_only_agent_messages_are_sent_as_agent_message() -> None:
    conversation = bot_conversation("https://bot.example/hooks")
    agent = agent_user(first_name="Ana")
    transcript.message_add(conversation=conversation, sender="customer", text="Hi")
    transcript.message_add(conversation=conversation, sender="ai", text="Hello")
    transcript.message_add(conversation=conversation, sender="agent", text="Ana here.", agent=agent)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "agent.message"
    assert delivery.payload["data"]["message"]["text"] == "Ana here."
    assert delivery.payload["data"]["agent"]["name"] == "Ana"


def test_claim_and_resolve_send_agent_joined_and_conversation_resolved() -> None:
    conversation = bot_conversation("https://bot.example/hooks")
    agent = agent_user(first_name="Ana")
    handoff, _ = handoff_create(conversation=conversation)
    handoff_claim(handoff=handoff, agent=agent)
    handoff_resolve(handoff=handoff, agent=agent, resolution=Handoff.Resolution.RESOLVED)
    events = list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))
    assert events == ["handoff.created", "agent.joined", "conversation.resolved"]


def test_signature_verifies_with_the_documented_algorithm(endpoint: Endpoint) -> None:
    delivery = queued_delivery(endpoint.url)

    assert webhook_deliver.apply(args=[delivery.pk]).get() == "delivered"

    [received] = endpoint.received
    timestamp = received.headers["X-Handover-Timestamp"]
    secret = delivery.bot.webhook_secret.encode()
    expected = hmac.new(secret, f"{timestamp}.".encode() + received.body, hashlib.sha256)
    assert received.headers["X-Handover-Signature"] == f"v1={expected.hexdigest()}"
    assert received.headers["X-Handover-Event"] == "handoff.created"
    assert received.headers["X-Handover-Delivery"] == str(delivery.delivery_id)
    assert json.loads(received.body)["event"] == "handoff.created"


def test_a_tampered_body_does_not_verify(endpoint: Endpoint) -> None:
    delivery = queued_delivery(endpoint.url)
    webhook_deliver.apply(args=[delivery.pk])
    [received] = endpoint.received
    secret = delivery.bot.webhook_secret

    assert handover_webhook_is_genuine(secret, received.headers, received.body)
    tampered = received.body.replace(b"handoff.created", b"handoff.createX")
    assert not handover_webhook_is_genuine(secret, received.headers, tampered)


@pytest.mark.parametrize("endpoint", [[500, 200]], indirect=True)
def test_a_500_is_retried_and_then_succeeds(endpoint: Endpoint) -> None:
    delivery = queued_delivery(endpoint.url)

    assert webhook_deliver.apply(args=[delivery.pk]).get() == "delivered"

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    log = list(delivery.attempt_log.values_list("number", "status_code"))
    assert log == [(1, 500), (2, 200)]
    assert len({r.headers["X-Handover-Delivery"] for r in endpoint.received}) == 1


def test_a_delivered_event_is_not_sent_again(endpoint: Endpoint) -> None:
    delivery = queued_delivery(endpoint.url)
    webhook_deliver.apply(args=[delivery.pk])

    assert webhook_deliver.apply(args=[delivery.pk]).get() == "nothing to do"
    assert len(endpoint.received) == 1


@pytest.mark.parametrize("endpoint", [[503]], indirect=True)
def test_a_failing_endpoint_is_given_up_after_the_last_attempt(endpoint: Endpoint) -> None:
    delivery = queued_delivery(endpoint.url)

    assert webhook_deliver.apply(args=[delivery.pk]).get() == "gave up"

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 3
    assert [a.error for a in delivery.attempt_log.all()] == ["HTTP 503 Service Unavailable"] * 3


@pytest.mark.parametrize("endpoint", [[0]], indirect=True)
def test_a_timeout_does_not_block_the_agent_reply(
    endpoint: Endpoint, django_capture_on_commit_callbacks: Any
) -> None:
    conversation = bot_conversation(endpoint.url)
    agent = agent_user()
    with django_capture_on_commit_callbacks():
        reply = transcript.message_add(
            conversation=conversation,
            sender="agent",
            text="Your refund is on its way.",
            agent=agent,
        )
    delivery = WebhookDelivery.objects.get()

    assert webhook_deliver.apply(args=[delivery.pk]).get() == "gave up"

    assert Message.objects.get(pk=reply.pk).text == "Your refund is on its way."
    attempt = delivery.attempt_log.first()
    assert attempt is not None
    assert "timed out" in attempt.error
    assert attempt.duration_ms < 2000


def test_retries_back_off_exponentially(settings: Any) -> None:
    from escalation.webhooks import retry_countdown

    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 10
    assert [retry_countdown(attempts=n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]


def test_the_delivery_log_is_in_the_admin(admin_client: Any) -> None:
    delivery = queued_delivery("https://bot.example/hooks")
    listing = admin_client.get("/admin/escalation/webhookdelivery/?status=pending")
    page = admin_client.get(f"/admin/escalation/webhookdelivery/{delivery.pk}/change/")
    assert listing.status_code == page.status_code == 200
    assert b"handoff.created" in listing.content
    assert b'name="_save"' not in page.content
