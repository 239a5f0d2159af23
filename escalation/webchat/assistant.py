"""The AI side of the built-in web chat, behind one small interface.

An assistant only drafts: the reply and how sure it is. It acts only through the tool gate it is
given (escalation/webchat/tools.py: the scope check, then the tool, then the record), and it never
decides to escalate; every draft goes through the decision functions first."""

import re
from dataclasses import dataclass, replace
from typing import Protocol

from escalation.models import Conversation, Message
from escalation.webchat.tools import DEMO_ORDERS, ToolGate, amount_label


@dataclass(frozen=True, kw_only=True)
class Draft:
    text: str
    confidence: float


class AssistantUnavailable(Exception):
    """The assistant could not draft a reply (its model timed out, failed, refused or said
    nothing): the customer is told so honestly and handed to a person."""


class Assistant(Protocol):
    def draft_reply(
        self, *, conversation: Conversation, tools: ToolGate, handback_note: str = ""
    ) -> Draft:
        """`tools`: the only way to act. `handback_note`: what the agent who handed the
        conversation back wrote for the assistant (never shown to the customer)."""
        ...


FAQ: list[tuple[tuple[str, ...], str]] = [
    (
        ("opening hours", "open", "hours"),
        "Our support team is there Monday to Friday, 8:00 to 20:00, and Saturday 9:00 to 14:00.",
    ),
    (
        ("return", "send back", "returns policy"),
        "You can return any item within 30 days of delivery for a full refund; print the label "
        "from your order page.",
    ),
    (
        ("delivery time", "how long", "shipping time", "deliver to"),
        "Standard delivery takes 2-4 working days; express delivery arrives the next working day.",
    ),
]

CURRENCIES = {"eur": "EUR", "€": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD", "$": "USD"}
AMOUNT = re.compile(
    r"(?P<pre>€|\$)?\s*(?P<amount>\d+(?:[.,]\d{1,2})?)\s*(?P<post>eur|euros?|usd|€|\$)?",
    re.IGNORECASE,
)
ORDER = re.compile(r"\b(\d{4,6})\b")
CREDIT_WORDS = ("refund", "credit", "money back", "compensation", "reimburse")
ORDER_WORDS = ("order", "parcel", "package", "delivery", "where is", "tracking")
GREETINGS = ("hello", "hi", "hey", "good morning", "good afternoon")
HUMAN_WORDS = (
    "real person",
    "a human",
    "an agent",
    "someone real",
    "talk to a person",
    "speak to a person",
    "speak to someone",
    "talk to someone",
    "representative",
)
ANGRY_WORDS = (
    "ridiculous",
    "unacceptable",
    "useless",
    "angry",
    "furious",
    "terrible",
    "worst",
    "again",
    "already told",
    "third time",
    "fed up",
)


def amount_find(text: str) -> tuple[float, str] | None:
    """The first amount with a currency, e.g. "80 EUR", "€80", "80 euros"."""
    for match in AMOUNT.finditer(text):
        marker = (match["pre"] or match["post"] or "").lower()
        if marker:
            amount = float(match["amount"].replace(",", "."))
            return amount, CURRENCIES[marker]
    return None


class DemoAssistant:
    """Rule-based and deterministic, over the demo shop's data; honest about what it did not
    understand (low confidence). It looks an order up before acting on it."""

    def draft_reply(
        self, *, conversation: Conversation, tools: ToolGate, handback_note: str = ""
    ) -> Draft:
        """The rules cannot act on a hand-back note; the next handoff's summary carries it to
        the next agent (summary_write)."""
        last = conversation.messages.filter(sender=Message.Sender.CUSTOMER).order_by("-pk").first()
        if last is None:
            return Draft(text="Hello! How can I help you today?", confidence=0.9)
        answer = self.answer(last.text, tools)
        draft = answer
        if any(word in last.text.lower() for word in ANGRY_WORDS):
            draft = replace(draft, text="I'm sorry this has been so frustrating. " + draft.text)
        previous = (
            conversation.messages.filter(sender=Message.Sender.AI, pk__lt=last.pk)
            .order_by("-pk")
            .values_list("text", flat=True)
            .first()
        )
        if previous is not None and previous.endswith(answer.text):
            # The same answer again did not help the first time: say so in the confidence.
            draft = replace(draft, confidence=min(draft.confidence, 0.3))
        return draft

    def answer(self, text: str, tools: ToolGate) -> Draft:
        lowered = text.lower()
        if any(word in lowered for word in HUMAN_WORDS):
            return Draft(
                text="I can try to help here, or a person from our support team can take over.",
                confidence=0.1,
            )
        order_match = ORDER.search(text)
        order = order_match[1] if order_match else None
        if any(word in lowered for word in CREDIT_WORDS):
            return self.credit(lowered, order, tools)
        if order and any(word in lowered for word in ORDER_WORDS):
            return self.order(order, tools)
        for keywords, reply in FAQ:
            if any(keyword in lowered for keyword in keywords):
                return Draft(text=reply, confidence=0.9)
        if any(lowered.strip(" !.").startswith(word) for word in GREETINGS) and len(text) < 40:
            return Draft(text="Hello! How can I help you today?", confidence=0.9)
        return Draft(
            text="I'm not sure I understood. Could you tell me your order number, or what you "
            "would like to do?",
            confidence=0.2,
        )

    def order(self, number: str, tools: ToolGate) -> Draft:
        if not tools.call("lookup_order", {"order": number}).succeeded:
            return Draft(
                text=f"I could not find order {number}. Could you check the number?",
                confidence=0.4,
            )
        status, detail = DEMO_ORDERS[number]
        return Draft(
            text=f"Your order {number} {detail}.", confidence=0.6 if status == "lost" else 0.9
        )

    def credit(self, lowered: str, order: str | None, tools: ToolGate) -> Draft:
        found = amount_find(lowered)
        if found is None:
            return Draft(
                text="I can help with a credit. How much would you like, and for which order?",
                confidence=0.6,
            )
        if order and not tools.call("lookup_order", {"order": order}).succeeded:
            return Draft(
                text=f"I could not find order {order}. Could you check the number?",
                confidence=0.4,
            )
        amount, currency = found
        label = f"{amount_label(amount)} {currency}"
        about = f" for order {order}" if order else ""
        params: dict[str, object] = {"amount": amount_label(amount), "currency": currency}
        if order:
            params["order"] = order
        if not tools.call("issue_credit", params).succeeded:
            return Draft(text="I could not issue that credit.", confidence=0.2)
        return Draft(
            text=f"I've issued a credit of {label}{about}. You'll see it on your account within "
            "a day.",
            confidence=0.85,
        )
