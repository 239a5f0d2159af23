from typing import Any

import pytest

from escalation import decisions, turns
from escalation.models import Conversation, Message
from tests.conftest import REASKED, BotClient, EncoderRuns
from tests.support.factories import ConversationFactory, MessageFactory


def distress_when_judged_again(conversation: Conversation) -> str:
    """The distress trigger's evidence on the latest customer turn, scored again."""
    latest = conversation.messages.filter(sender=Message.Sender.CUSTOMER).last()
    assert latest is not None
    scored = decisions.message_scored(conversation=conversation, message=latest)
    return next(r.evidence for r in scored.weighing.results if r.kind == "distress")


def test_a_stored_conversation_is_judged_again_without_encoding_its_messages(
    bot_client: BotClient, encoder_runs: EncoderRuns
) -> None:
    conversation_id = bot_client.open_conversation()["id"]
    bot_client.post_turns(conversation_id, REASKED)
    encoder_runs.forget()

    evidence = distress_when_judged_again(Conversation.objects.get(pk=conversation_id))

    assert encoder_runs.texts == []
    assert evidence.startswith("2 re-asks;"), evidence


def test_messages_stored_before_encodings_were_kept_are_encoded_when_read(
    db: None, encoder_runs: EncoderRuns
) -> None:
    conversation = ConversationFactory()
    for sender, text in REASKED:  # no encoding, as a message stored before migration 0014
        MessageFactory(conversation=conversation, sender=sender, text=text)

    evidence = distress_when_judged_again(conversation)

    assert sorted(set(encoder_runs.texts)) == sorted(t for s, t in REASKED if s == "customer")
    assert evidence.startswith("2 re-asks;"), evidence


def test_a_customer_turn_is_encoded_once_and_before_its_conversation_is_locked(
    bot_client: BotClient, encoder_runs: EncoderRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The encoder's milliseconds are spent outside the lock, so they hold no other turn of
    the conversation up; the decision and the stored message use that one encoding."""
    conversation_id = bot_client.open_conversation()["id"]
    runs_when_locked = []
    real_locked = turns.conversation_locked

    def locked(**kwargs: Any) -> Any:
        runs_when_locked.append(list(encoder_runs.texts))
        return real_locked(**kwargs)

    monkeypatch.setattr(turns, "conversation_locked", locked)
    encoder_runs.forget()

    bot_client.post_turns(conversation_id, [("customer", "my parcel has not come, order 4411")])

    assert runs_when_locked == [["my parcel has not come, order 4411"]]
    assert encoder_runs.texts == ["my parcel has not come, order 4411"]
    stored = Message.objects.get(conversation_id=conversation_id)
    assert stored.encoding is not None
