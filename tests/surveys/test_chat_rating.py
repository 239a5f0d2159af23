"""The survey in the web chat: one tap, by the customer whose chat it is, once."""

import asyncio
from typing import cast

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core import mail
from django.test import Client
from django.utils import timezone

from escalation.models import Conversation, Handoff, Message
from escalation.webchat.consumer import chat_group
from surveys.links import CHAT_QUESTION, survey_send
from surveys.models import Survey
from tests.support.factories import HandoffFactory, UserFactory

pytestmark = pytest.mark.django_db


def web_chat_case(username: str = "maria") -> Handoff:
    user = UserFactory(username=username)
    user.save()
    handoff = cast(
        Handoff,
        HandoffFactory(
            conversation__channel="web-chat",
            conversation__status=Conversation.Status.RESOLVED,
            conversation__customer__user=user,
            status=Handoff.Status.RESOLVED,
            resolved_at=timezone.now(),
            resolution=Handoff.Resolution.RESOLVED,
        ),
    )
    return handoff


def chat_client(handoff: Handoff) -> Client:
    client = Client()
    client.force_login(handoff.conversation.customer.user)
    return client


def test_the_web_chat_asks_in_one_line_and_the_email_keeps_the_link() -> None:
    handoff = web_chat_case()

    survey = survey_send(handoff=handoff)

    assert survey is not None
    last = handoff.conversation.messages.order_by("-id").first()
    assert (last.sender, last.text) == (Message.Sender.SYSTEM, CHAT_QUESTION)
    assert "/survey/" in mail.outbox[0].body  # the single-use link


def test_the_chat_offers_the_one_tap_answer() -> None:
    handoff = web_chat_case()
    survey = survey_send(handoff=handoff)
    assert survey is not None

    content = chat_client(handoff).get("/chat/").content.decode()

    assert f'action="/chat/survey/{survey.pk}/"' in content
    assert 'name="did_help" value="yes"' in content and 'name="did_help" value="no"' in content
    assert "/survey/" not in content.replace(f"/chat/survey/{survey.pk}/", "")


def test_one_tap_records_whether_the_handover_helped() -> None:
    handoff = web_chat_case()
    survey = survey_send(handoff=handoff)
    assert survey is not None

    response = chat_client(handoff).post(
        f"/chat/survey/{survey.pk}/", {"did_help": "no"}, headers={"HX-Request": "true"}
    )

    assert "your answer was recorded" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.did_help, survey.had_to_repeat, survey.rating) == (False, None, None)
    assert survey.answered_at is not None


def test_a_second_tap_changes_nothing() -> None:
    handoff = web_chat_case()
    survey = survey_send(handoff=handoff)
    assert survey is not None
    client = chat_client(handoff)
    client.post(f"/chat/survey/{survey.pk}/", {"did_help": "yes"})

    client.post(f"/chat/survey/{survey.pk}/", {"did_help": "no"})

    survey.refresh_from_db()
    assert survey.did_help is True


def test_another_customer_cannot_answer() -> None:
    survey = survey_send(handoff=web_chat_case("maria"))
    assert survey is not None
    stranger = web_chat_case("tom")

    response = chat_client(stranger).post(f"/chat/survey/{survey.pk}/", {"did_help": "no"})

    assert response.status_code == 404
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_an_answer_not_understood_is_refused() -> None:
    handoff = web_chat_case()
    survey = survey_send(handoff=handoff)
    assert survey is not None

    response = chat_client(handoff).post(f"/chat/survey/{survey.pk}/", {"did_help": "maybe"})

    assert response.status_code == 400
    assert Survey.objects.get(pk=survey.pk).answered_at is None


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_question_reaches_an_open_chat_live() -> None:
    handoff = await sync_to_async(web_chat_case)()
    layer = get_channel_layer()
    listening = await layer.new_channel()
    await layer.group_add(chat_group(handoff.conversation_id), listening)

    survey = await sync_to_async(survey_send)(handoff=handoff)

    assert survey is not None
    pushed = [(await asyncio.wait_for(layer.receive(listening), 5))["html"] for _ in range(2)]
    assert any(f'action="/chat/survey/{survey.pk}/"' in html for html in pushed)
    await layer.group_discard(chat_group(handoff.conversation_id), listening)
