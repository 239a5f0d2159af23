import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from escalation.models import (
    AIAction,
    ApiKey,
    Bot,
    Conversation,
    Customer,
    Handoff,
    Message,
    TriggerPolicy,
)
from tests.support.factories import AIActionFactory, HandoffFactory, MessageFactory, bot_with_key


@pytest.fixture
def supervisor_client(db: None) -> Client:
    user = User.objects.create_superuser("sam", "sam@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


MODELS = [Bot, ApiKey, Customer, Conversation, Message, AIAction, Handoff, TriggerPolicy]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_working_list_and_change_page(
    supervisor_client: Client, model: type
) -> None:
    handoff = HandoffFactory()
    MessageFactory(conversation=handoff.conversation, text="<b>hello</b>")
    AIActionFactory(conversation=handoff.conversation)
    bot_with_key()
    TriggerPolicy.current()
    opts = model._meta
    listing = supervisor_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), follow=True
    )
    assert listing.status_code == 200
    obj = model.objects.first()
    change = supervisor_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert change.status_code == 200


def test_conversation_page_shows_the_transcript_escaped(supervisor_client: Client) -> None:
    message = MessageFactory(text="<script>alert('x')</script>")
    response = supervisor_client.get(
        reverse("admin:escalation_conversation_change", args=[message.conversation_id])
    )
    body = response.content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "<script>alert('x')</script>" not in body


def test_issuing_a_key_shows_it_once_and_stores_its_hash(supervisor_client: Client) -> None:
    bot, _ = bot_with_key(name="shop")
    response = supervisor_client.post(
        reverse("admin:escalation_bot_changelist"),
        {"action": "issue_key", "_selected_action": [bot.pk]},
        follow=True,
    )
    shown = next(str(m) for m in response.context["messages"])
    key = shown.rsplit(" ", 1)[-1]
    assert ApiKey.objects.filter(bot=bot, hashed_key=ApiKey.hash(key)).exists()


def test_a_message_is_read_in_the_admin_never_written(supervisor_client: Client) -> None:
    message = MessageFactory(text="my card 4111 is lost")
    url = reverse("admin:escalation_message_change", args=[message.pk])

    page = supervisor_client.get(url)
    assert page.status_code == 200
    assert "my card 4111 is lost" in page.content.decode()
    assert 'name="text"' not in page.content.decode()  # shown, not a field to edit
    refused = supervisor_client.post(url, {"text": "edited", "sender": "customer"})
    assert refused.status_code == 403
    add = supervisor_client.get(reverse("admin:escalation_message_add"))
    assert add.status_code == 403
    message.refresh_from_db()
    assert message.text == "my card 4111 is lost"
