import re
from datetime import datetime, timedelta
from typing import cast

from escalation.models import Conversation, Handoff, Message
from tests.support.factories import ConversationFactory, HandoffFactory, MessageFactory, agent_user


def resolved_case(
    *,
    before: list[str],
    after: list[str],
    start: datetime,
    conversation: Conversation | None = None,
    agent: object = None,
    resolution: str = Handoff.Resolution.RESOLVED,
    summary: str = "My parcel for order 1234 never arrived.",
) -> Handoff:
    """A conversation with the AI, handed off, worked and resolved by one agent."""
    if conversation is None:
        conversation = cast(Conversation, ConversationFactory())
    when = start
    for text in before:
        MessageFactory(conversation=conversation, text=text, sent_at=when)
        when += timedelta(minutes=1)
    agent = agent or agent_user()
    handoff = HandoffFactory(
        conversation=conversation,
        queued_at=when,
        summary=summary,
        status=Handoff.Status.RESOLVED,
        claimed_by=agent,
        claimed_at=when + timedelta(minutes=2),
        resolved_at=when + timedelta(minutes=30),
        resolution=resolution,
    )
    when += timedelta(minutes=3)
    MessageFactory(
        conversation=conversation,
        sender=Message.Sender.AGENT,
        agent=agent,
        text="Hi, I can see the conversation so far.",
        sent_at=when,
    )
    for text in after:
        when += timedelta(minutes=1)
        MessageFactory(conversation=conversation, text=text, sent_at=when)
    return handoff


def survey_path(handoff: Handoff) -> str:
    """The path of the survey link the customer was sent into the chat (its token is kept
    nowhere else in clear)."""
    line = handoff.conversation.messages.filter(
        sender=Message.Sender.SYSTEM, text__contains="/survey/"
    ).latest("id")
    found = re.search(r"/survey/[^/\s]+/", line.text)
    assert found is not None, line.text
    return found.group()
