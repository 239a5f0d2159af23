"""The summary a human reads first, when the bot gives none: what the customer asks for, the
things they named (orders, amounts), and what the AI tried. Extractive and deterministic."""

import re

from escalation.models import Conversation, Message

MAX_ASK_CHARS = 240
REFERENCE = re.compile(
    r"\b(order|parcel|package|invoice|ticket|booking|subscription|account)"
    r"\s*(?:no\.?|number|#|nr\.?)?\s*#?([A-Z0-9][A-Z0-9-]{2,})\b",
    re.IGNORECASE,
)
AMOUNT = re.compile(
    r"(?:[€$£]\s?\d+(?:[.,]\d{1,2})?)|(?:\b\d+(?:[.,]\d{1,2})?\s?(?:EUR|USD|GBP|euros?|dollars?|pounds?)\b)",
    re.IGNORECASE,
)


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def entities_find(texts: list[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        for kind, number in REFERENCE.findall(text):
            if any(ch.isdigit() for ch in number):
                found.append(f"{kind.lower()} {number}")
        found.extend(" ".join(m.split()) for m in AMOUNT.findall(text))
    return list(dict.fromkeys(found))


def summary_write(*, conversation: Conversation) -> str:
    texts = list(
        conversation.messages.filter(sender=Message.Sender.CUSTOMER)
        .order_by("pk")
        .values_list("text", flat=True)[:8]
    )
    if not texts:
        return "The customer has not said anything yet."
    # The first turn that says something (not "hi") is the ask.
    ask = next((t for t in texts if len(t.split()) > 3), texts[0])
    parts = [f"The customer says: “{clip(ask, MAX_ASK_CHARS)}”"]
    entities = entities_find(texts)
    if entities:
        parts.append("Mentions " + ", ".join(entities[:6]) + ".")
    tried = [action.describe() for action in conversation.actions.order_by("pk")[:5]]
    if tried:
        parts.append("The AI tried: " + "; ".join(tried) + ".")
    return " ".join(parts)
