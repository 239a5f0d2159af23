"""The summary a human reads first when neither the bot nor a model wrote one: extractive and
deterministic, from every customer turn before the handoff. It quotes the sentences that carry
the ask and the facts (order numbers, amounts, dates, what they want and no longer want), lists
the facts it could not quote within its length, and says what the AI tried, with results.
Measured by `manage.py eval_summaries` (docs/summary.md)."""

import re
from dataclasses import dataclass

from escalation.models import AIAction, Conversation, Handoff, Message

MAX_WORDS = 60  # the customer's part; what the AI tried follows it
QUOTE_WORDS = 45  # of which quoted sentences; the rest lists facts they leave out
OPENING_WORDS = 25

REFERENCE = re.compile(
    r"\b(?:order|parcel|package|invoice|ticket|booking|subscription|account|reference|ref)"
    r"\s*(?:no\.?|number|#|nr\.?)?\s*#?([A-Z0-9][A-Z0-9-]{2,})\b"
    r"|(?<![\d.,:/])#?(\d{3,}(?:[-/]\d+)*)(?![\d.,:/]|\s*(?:€|eur|usd|dollars?|euros?|pounds?)\b)",
    re.IGNORECASE,
)
SPELLED = (
    r"(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|a|and)[\s-]+)+"
)
CURRENCY_WORDS = r"EUR|USD|GBP|euros?|dollars?|bucks|pounds?"
AMOUNT = re.compile(
    r"(?:[€$£]\s?\d+(?:,\d{3})*(?:\.\d{1,2})?)"
    rf"|(?:\b\d+(?:,\d{{3}})*(?:[.,]\d{{1,2}})?\s?(?:{CURRENCY_WORDS})\b)"
    rf"|(?:\b{SPELLED}(?:{CURRENCY_WORDS})\b)",
    re.IGNORECASE,
)
MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
WEEKDAYS = r"mon|tues|wednes|thurs|fri|satur|sun"
NUMBER_WORDS = r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|several"
DATE = re.compile(
    rf"\b(?:(?:next|this|last)\s+)?(?:{WEEKDAYS})day\b"
    rf"|\b(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|\b(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)(?:\s+of\s+(?:{MONTHS}|(?:this|next) month))?\b"
    rf"|\b\d{{1,2}}\s+(?:{MONTHS})\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
    r"|\b(?:today|tomorrow|yesterday|tonight|(?:next|last|this) (?:week|month|weekend))\b"
    rf"|\b(?:{NUMBER_WORDS})\s+(?:days?|weeks?|months?|hours?)(?:\s+ago)?\b"
    r"|\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.|o'clock)"
    r"|\b\d{1,2}(?::\d{2})?\s+in\s+the\s+(?:morning|afternoon|evening)\b|\b\d{1,2}:\d{2}\b"
    r"|\b(?:morning|afternoon|evening|night)\s+\d{1,2}(?::\d{2})?\b",
    re.IGNORECASE,
)
# What the customer asks for, and what they no longer want.
ASK = re.compile(
    r"\b(?:i(?:'d| would)? (?:like|love|need|want)|i wanted|i'm (?:looking|hoping|trying)|"
    r"i am (?:looking|hoping|trying)|interested in|looking for|can you|could you|can i|could i|"
    r"would you|please|help me|find|search|refund|cancel|return|replace|exchange|change|"
    r"transfer|send|pay|book|reserve|reschedule|fix|compensat\w*|money back|credit)\b",
    re.IGNORECASE,
)
NOT_WANTED = re.compile(
    r"\b(?:don't|do not|no longer|not|never|nor)\s+(?:\w+\s+){0,2}"
    r"(?:want|need|interested|looking|accept)\w*|\binstead\b|\brather\b|\bany more\b|\banymore\b",
    re.IGNORECASE,
)
# A sentence ends at . ! ? before a capital, but not after an initial ("P.f. Chang's") or a
# title ("Dr. Ruiz"); a line break or a semicolon ends one too.
SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\.[A-Za-z]\.)(?<!\b(?:Mr|Ms|Dr|St)\.)\s+(?=[A-Z0-9\"“(])|\s*[;\n]+\s*"
)


@dataclass(frozen=True)
class Sentence:
    index: int
    turn: int
    text: str
    facts: frozenset[str]
    is_ask: bool
    is_not_wanted: bool

    @property
    def words(self) -> int:
        return len(self.text.split())


def facts_find(text: str) -> list[str]:
    """The reference numbers, amounts and dates in `text`, as written, in order."""
    found: list[tuple[int, str]] = []
    for match in AMOUNT.finditer(text):
        found.append((match.start(), " ".join(match.group().split())))
    for match in DATE.finditer(text):
        found.append((match.start(), " ".join(match.group().split())))
    for match in REFERENCE.finditer(text):
        number = match.group(1) or match.group(2)
        if any(ch.isdigit() for ch in number) and not any(number in f for _, f in found):
            found.append((match.start(), number))
    return list(dict.fromkeys(fact for _, fact in sorted(found)))


def sentences_split(texts: list[str]) -> list[Sentence]:
    sentences: list[Sentence] = []
    for turn, text in enumerate(texts):
        for part in SENTENCE_END.split(text.strip()):
            part = " ".join(part.split())
            if part:
                sentences.append(
                    Sentence(
                        index=len(sentences),
                        turn=turn,
                        text=part,
                        facts=frozenset(facts_find(part)),
                        is_ask=bool(ASK.search(part)),
                        is_not_wanted=bool(NOT_WANTED.search(part)),
                    )
                )
    return sentences


def sentence_ended(text: str) -> str:
    return text if text[-1] in ".!?…" else text + "."


def clip_words(text: str, limit: int) -> str:
    words = text.split()
    return text if len(words) <= limit else " ".join(words[:limit]) + "…"


def customer_problem(texts: list[str]) -> str:
    """The customer's problem in their own words: the first sentence that says something and
    carries a fact or an ask."""
    sentences = [s for s in sentences_split(texts) if s.words > 3]
    first = next((s for s in sentences if s.facts or s.is_ask), None)
    return first.text if first else (sentences[0].text if sentences else "")


def customer_summary(
    texts: list[str], *, max_words: int = MAX_WORDS, quote_words: int = QUOTE_WORDS
) -> str:
    """The customer's turns in at most `max_words` words: the first sentence that asks for
    something, then the sentences that add facts or say what they no longer want (in the
    order they were said), then the facts still left out."""
    sentences = [s for s in sentences_split(texts) if s.words > 2 or s.facts]
    if not sentences:
        return ""
    first_ask = next((s for s in sentences if s.is_ask and s.words > 3), sentences[0])
    # The turn that first asks is quoted whole when it is short: its other sentences often
    # say what the ask is about.
    opening = [s for s in sentences if s.turn == first_ask.turn]
    if sum(s.words for s in opening) > OPENING_WORDS:
        opening = [first_ask]
    chosen = {s.index: s for s in opening}
    covered = {fact for s in opening for fact in s.facts}
    budget = quote_words - sum(s.words for s in opening)

    def gain(sentence: Sentence) -> tuple[int, int, int, int]:
        new = len(sentence.facts - covered)
        # What they no longer want is rarely a number, and as easily lost as one.
        return (new + 2 * sentence.is_not_wanted, sentence.is_ask, -sentence.words, -sentence.index)

    while True:
        candidates = [
            s for s in sentences if s.index not in chosen and s.words <= budget and gain(s)[0] > 0
        ]
        if not candidates:
            break
        best = max(candidates, key=gain)
        chosen[best.index] = best
        covered |= best.facts
        budget -= best.words
    quoted = " ".join(sentence_ended(chosen[i].text) for i in sorted(chosen))
    quoted = clip_words(quoted, quote_words if len(chosen) > 1 else max_words - 2)
    summary = f"“{quoted}”"
    left_out = [
        fact
        for s in sentences
        for fact in sorted(s.facts, key=s.text.find)
        if fact not in covered and fact.lower() not in quoted.lower()
    ]
    left_out = list(dict.fromkeys(left_out))
    room = max_words - len(summary.split()) - 2
    if left_out and room > 0:
        summary += " Also: " + clip_words(", ".join(left_out), room).rstrip(",") + "."
    return summary


def summary_write(
    *,
    conversation: Conversation,
    actions: list[AIAction] | None = None,
    customer_texts: list[str] | None = None,
    may_have_handback_note: bool = True,
) -> str:
    """What the caller read already is not read again: the AI's `actions` (all of them, in
    order), everything the customer said (`customer_texts`), and whether an earlier hand-back
    can have left a note (not in a conversation that never had a case)."""
    texts = customer_texts
    if texts is None:
        texts = list(
            conversation.messages.filter(sender=Message.Sender.CUSTOMER)
            .order_by("pk")
            .values_list("text", flat=True)[:200]
        )
    said = customer_summary(texts[:200])
    if not said:
        return "The customer has not said anything yet."
    parts = [f"The customer: {said}"]
    first = actions[:5] if actions is not None else conversation.actions.order_by("pk")[:5]
    tried = [action.describe() for action in first]
    if tried:
        parts.append("The AI tried: " + "; ".join(tried) + ".")
    note = handback_note(conversation=conversation) if may_have_handback_note else ""
    if note:  # the assistant could not act on it; the next agent reads it
        parts.append(f"(Handed back earlier with: {note})")
    return " ".join(parts)


def handback_note(*, conversation: Conversation) -> str:
    """The note of the agent who last handed the conversation back to the AI, as long as no
    handoff has followed (else empty): context for the assistant."""
    latest = conversation.handoffs.order_by("-pk").values_list("status", "resolution_note").first()
    if latest is None or latest[0] != Handoff.Status.RETURNED:
        return ""
    return str(latest[1])
