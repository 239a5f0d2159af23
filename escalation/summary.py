"""The summary a human reads first: what the customer wants, in a few lines."""

from escalation.models import Conversation, Message

MAX_SUMMARY_CHARS = 400


def summary_write(*, conversation: Conversation) -> str:
    """An extractive summary: the customer's own words, first ask first."""
    texts = conversation.messages.filter(sender=Message.Sender.CUSTOMER).values_list(
        "text", flat=True
    )[:5]
    summary = " ".join(" ".join(text.split()) for text in texts)
    if len(summary) > MAX_SUMMARY_CHARS:
        summary = summary[: MAX_SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return summary or "The customer has not said anything yet."
