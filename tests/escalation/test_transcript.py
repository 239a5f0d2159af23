from collections.abc import Callable

import numpy as np
import pytest

from escalation.detectors import encoder
from escalation.handoff import handoff_claim, handoff_reply
from escalation.models import Handoff, Message
from escalation.webchat.chat import chat_customer, chat_message_send
from tests.conftest import BotClient
from tests.support.factories import UserFactory, console_agent

TEXT = "My parcel for order 7731 never arrived"


def posted_by_the_bot(bot_client: BotClient) -> Message:
    conversation_id = bot_client.open_conversation()["id"]
    bot_client.post_turns(conversation_id, [("customer", TEXT)])
    return Message.objects.get(conversation_id=conversation_id)


def sent_in_the_web_chat(bot_client: BotClient) -> Message:
    message, _ = chat_message_send(customer=chat_customer(user=UserFactory()), text=TEXT)
    return message


@pytest.mark.parametrize("post", [posted_by_the_bot, sent_in_the_web_chat])
def test_a_customer_message_is_stored_with_the_encoding_of_its_text(
    bot_client: BotClient, post: Callable[[BotClient], Message]
) -> None:
    stored = post(bot_client).pk

    encoding = Message.objects.get(pk=stored).encoding

    assert encoding is not None
    assert encoding.dtype == np.float32 and encoding.shape == (encoder.DIMENSION,)
    assert np.array_equal(encoding, encoder.encode(TEXT))


def test_only_the_customer_messages_are_encoded(bot_client: BotClient) -> None:
    """Only they are compared with each other; the AI's, the agents' and the system's lines
    are stored without."""
    conversation_id = bot_client.open_conversation()["id"]
    bot_client.post_turns(conversation_id, [("customer", TEXT), ("ai", "Let me look.")])
    bot_client.post(f"/conversations/{conversation_id}/handoff", {"external_id": "h1"})
    handoff = Handoff.objects.get(conversation_id=conversation_id)
    agent = console_agent(username="ana")
    handoff_claim(handoff=handoff, agent=agent)
    handoff_reply(handoff=handoff, agent=agent, text="Hi, I am on it.")

    rows = Message.objects.filter(conversation_id=conversation_id).values_list("sender", "encoding")

    encoded = {(sender, encoding is not None) for sender, encoding in rows}
    assert encoded == {("customer", True), ("ai", False), ("system", False), ("agent", False)}
