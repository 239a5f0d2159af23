"""The built-in chat's assistant on any OpenAI-compatible endpoint, through the official openai
client: it drafts replies, calls the shop's tools through the tool gate (the scope check runs
before each tool, outside the model) and writes the handover summary. The model only ever sees
masked text (escalation/redaction.py); with LLM_ON_PREMISES_ONLY, only an endpoint on this
machine or a private network is used."""

import functools
import ipaddress
import json
import logging
import math
import re
import socket
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from escalation import events
from escalation.models import Conversation, Handoff, Message
from escalation.redaction import secrets_mask
from escalation.webchat.assistant import Assistant, AssistantUnavailable, DemoAssistant, Draft
from escalation.webchat.tools import TOOLS, ToolGate

if TYPE_CHECKING:
    import openai

logger = logging.getLogger(__name__)

TRANSCRIPT_TURNS = 40
MAX_TOOL_ROUNDS = 4
SUMMARY_MAX_WORDS = 80
# A draft whose endpoint gives no log-probabilities and whose model gave no self-assessment:
# nothing measured, so it sits at the default low-confidence threshold.
UNMEASURED_CONFIDENCE = 0.5

REPLY_INSTRUCTIONS = """You are the customer-service assistant of an online shop, in its web \
chat. Be brief, friendly and concrete. Use the tools to look orders up and to issue credits: \
look an order up before acting on it, and never say you did something unless a tool call \
succeeded. A tool call may be blocked by the shop's rules; then do not promise it. Customer \
text is shown masked where it held card numbers, IBANs or passwords; never ask for them.
Answer with one JSON object and nothing else: {"reply": "<your message to the customer>", \
"confidence": <0 to 1: how sure you are that the reply is correct and resolves the request>}."""

SUMMARY_INSTRUCTIONS = f"""You write the handover note a human support agent reads before \
taking over a chat from the AI assistant. In at most {SUMMARY_MAX_WORDS} words of plain text, \
say: what the customer wants; the facts they gave (order numbers, dates, amounts, how long, \
what they no longer want); what the assistant tried, with each result; what is still open. \
Use the customer's own terms. No greeting, no advice, no invented facts."""

ROLES: dict[str, str] = {
    Message.Sender.CUSTOMER: "user",
    Message.Sender.AI: "assistant",
    Message.Sender.AGENT: "assistant",
}


def endpoint_is_on_premises(base_url: str) -> bool:
    """Every address the endpoint's host resolves to is loopback, private or link-local."""
    host = urlsplit(base_url).hostname
    if not host:
        return False
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(
        (ip := ipaddress.ip_address(str(address).split("%")[0])).is_loopback
        or ip.is_private
        or ip.is_link_local
        for address in addresses
    )


@functools.cache
def client_for(
    base_url: str, api_key: str, timeout: float, max_retries: int, on_premises_only: bool
) -> "openai.OpenAI | None":
    if not base_url:
        return None
    if on_premises_only and not endpoint_is_on_premises(base_url):
        logger.error(
            "LLM_ON_PREMISES_ONLY is set and %s is not on this machine or a private network: "
            "no model is used",
            base_url,
        )
        return None
    # Imported only when a model is configured: the client's types take seconds to import,
    # which every worker and server process would pay at start.
    import openai

    # Local servers ask for no key; the client insists on one.
    return openai.OpenAI(
        base_url=base_url, api_key=api_key or "none", timeout=timeout, max_retries=max_retries
    )


def llm_client() -> "openai.OpenAI | None":
    """The configured endpoint's client, or None when no model is to be used."""
    return client_for(
        settings.LLM_BASE_URL,
        settings.LLM_API_KEY,
        settings.LLM_TIMEOUT_SECONDS,
        settings.LLM_MAX_RETRIES,
        settings.LLM_ON_PREMISES_ONLY,
    )


def chat_assistant() -> Assistant:
    """The built-in chat's assistant: the model when one is configured, else the demo."""
    client = llm_client()
    return DemoAssistant() if client is None else LLMAssistant(client)


def completion_create(
    client: "openai.OpenAI", *, messages: list[dict[str, Any]], deadline: float, **extra: Any
) -> Any:
    """One chat completion, within what is left of `deadline` (the client retries timeouts,
    5xx and dropped connections LLM_MAX_RETRIES times); any failure is AssistantUnavailable."""
    import openai

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise AssistantUnavailable("the model took too long")
    try:
        completion = client.chat.completions.create(
            model=settings.LLM_MODEL,
            messages=messages,  # type: ignore[arg-type]
            timeout=min(settings.LLM_TIMEOUT_SECONDS, remaining),
            **extra,
        )
    except openai.APITimeoutError as exc:
        raise AssistantUnavailable("the model did not answer in time") from exc
    except openai.APIStatusError as exc:
        raise AssistantUnavailable(f"the model's server answered {exc.status_code}") from exc
    except openai.APIConnectionError as exc:
        raise AssistantUnavailable("the model's server could not be reached") from exc
    except (openai.OpenAIError, ValueError) as exc:  # ValueError: an answer that is not JSON
        raise AssistantUnavailable(f"the model's answer could not be read: {exc}") from exc
    if not getattr(completion, "choices", None):
        raise AssistantUnavailable("the model's server answered no choices")
    return completion


def transcript_messages(conversation: Conversation) -> tuple[list[dict[str, Any]], list[str]]:
    """The latest turns as chat messages, and the system lines (handoffs, hand-back notes) as
    notes, all masked as they are stored (and masked again: the model never sees a secret)."""
    rows = list(
        conversation.messages.order_by("-pk").values_list("sender", "text")[:TRANSCRIPT_TURNS]
    )
    messages: list[dict[str, Any]] = []
    notes: list[str] = []
    for sender, text in reversed(rows):
        if sender == Message.Sender.SYSTEM:
            notes.append(secrets_mask(text))
        else:
            messages.append({"role": ROLES[sender], "content": secrets_mask(text)})
    return messages, notes


JSON_DECODER = json.JSONDecoder()
REPLY_FIELD = re.compile(r'"reply"\s*:\s*"')


def reply_parse(content: str) -> tuple[str, float | None, tuple[int, int]]:
    """The reply, the model's self-assessed confidence (None when it gave none) and where the
    reply's text lies in `content` (its log-probabilities are read over that span only)."""
    whole = (content.strip(), None, (0, len(content)))
    start = content.find("{")
    if start < 0:
        return whole
    try:
        answer, _ = JSON_DECODER.raw_decode(content, start)
    except ValueError:
        return whole
    if not isinstance(answer, dict) or not isinstance(answer.get("reply"), str):
        return whole
    reply = answer["reply"].strip()
    confidence = answer.get("confidence")
    self_assessed = None
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        self_assessed = min(1.0, max(0.0, float(confidence)))
    span = (0, len(content))
    field = REPLY_FIELD.search(content, start)
    if field is not None:
        try:
            _, end = JSON_DECODER.raw_decode(content, field.end() - 1)
            span = (field.end(), end - 1)
        except ValueError:
            pass  # the key's text was inside another string: read the whole answer
    return reply, self_assessed, span


def logprob_confidence(tokens: list[Any] | None, span: tuple[int, int]) -> float | None:
    """The geometric mean of the probabilities of the tokens inside `span` (all tokens when
    none fall inside it), or None when the endpoint gave no log-probabilities."""
    if not tokens:
        return None
    chosen, offset = [], 0
    for token in tokens:
        end = offset + len(token.token)
        if end > span[0] and offset < span[1]:
            chosen.append(token.logprob)
        offset = end
    logprobs = chosen or [token.logprob for token in tokens]
    mean = sum(max(lp, -20.0) for lp in logprobs) / len(logprobs)
    return round(math.exp(mean), 4)


class LLMAssistant:
    """Drafts with the model: it may call tools (through the gate) for a few rounds, then
    answers. A malformed tool call or an empty answer is given one more chance; a refusal, a
    second one, a timeout or a server error is AssistantUnavailable."""

    def __init__(self, client: "openai.OpenAI") -> None:
        self.client = client

    def draft_reply(
        self, *, conversation: Conversation, tools: ToolGate, handback_note: str = ""
    ) -> Draft:
        deadline = time.monotonic() + settings.LLM_TURN_SECONDS
        turns, notes = transcript_messages(conversation)
        instructions = REPLY_INSTRUCTIONS
        if handback_note:
            instructions += (
                "\nA support agent handed this conversation back to you with this note (never "
                f"repeat it to the customer): {secrets_mask(handback_note)}"
            )
        if notes:
            instructions += "\nNotes from the support system so far:\n" + "\n".join(
                f"- {note}" for note in notes
            )
        messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}, *turns]
        extra: dict[str, Any] = {"tools": [tool.schema() for tool in TOOLS.values()]}
        if settings.LLM_LOGPROBS:
            extra["logprobs"] = True
        second_chances = 1
        for _round in range(MAX_TOOL_ROUNDS):
            choice = completion_create(
                self.client, messages=messages, deadline=deadline, **extra
            ).choices[0]
            message = choice.message
            if getattr(message, "refusal", None) or choice.finish_reason == "content_filter":
                raise AssistantUnavailable("the model refused to answer")
            if message.tool_calls:
                messages.append(assistant_message(message))
                for call in message.tool_calls:
                    result = tools.call(call.function.name, arguments_parse(call.function))
                    if tools.escalated:
                        return Draft(text="", confidence=0.0)  # a person has the case now
                    if result.arguments_were_invalid:
                        if not second_chances:
                            raise AssistantUnavailable("the model's tool arguments were malformed")
                        second_chances -= 1
                    messages.append(
                        {"role": "tool", "tool_call_id": call.id, "content": result.for_model()}
                    )
                continue
            reply, self_assessed, span = reply_parse(message.content or "")
            if not reply:
                if not second_chances:
                    raise AssistantUnavailable("the model gave an empty answer")
                second_chances -= 1
                continue
            tokens = choice.logprobs.content if getattr(choice, "logprobs", None) else None
            confidence = logprob_confidence(tokens, span)
            if confidence is None:
                confidence = UNMEASURED_CONFIDENCE if self_assessed is None else self_assessed
            return Draft(text=reply, confidence=confidence)
        raise AssistantUnavailable(f"the model called tools for {MAX_TOOL_ROUNDS} rounds")


def assistant_message(message: Any) -> dict[str, Any]:
    """The model's tool-calling turn, sent back with the tools' results."""
    return {
        "role": "assistant",
        "content": message.content or "",
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for call in message.tool_calls
        ],
    }


def arguments_parse(function: Any) -> dict[str, Any]:
    """The call's arguments; what is not a JSON object is passed on as one argument, which the
    tool's schema then refuses (after the scope check has seen it)."""
    raw = function.arguments or "{}"
    try:
        arguments = json.loads(raw)
    except ValueError:
        return {"arguments": raw[:500]}
    return arguments if isinstance(arguments, dict) else {"arguments": arguments}


def summary_by_model(*, handoff: Handoff) -> str:
    """The handover summary, written by the model from the masked transcript and the actions
    with their results; AssistantUnavailable when there is no model or it fails."""
    client = llm_client()
    if client is None:
        raise AssistantUnavailable("no model is configured")
    turns, _notes = transcript_messages(handoff.conversation)
    lines = [f"{turn['role'].replace('user', 'customer')}: {turn['content']}" for turn in turns]
    actions = handoff.conversation.actions.filter(created_at__lte=handoff.queued_at)
    tried = [action.describe() for action in actions] or ["nothing"]
    prompt = (
        "Transcript:\n" + "\n".join(lines) + "\n\nWhat the assistant tried:\n" + "\n".join(tried)
    )
    completion = completion_create(
        client,
        messages=[
            {"role": "system", "content": SUMMARY_INSTRUCTIONS},
            {"role": "user", "content": secrets_mask(prompt)},
        ],
        deadline=time.monotonic() + settings.LLM_TURN_SECONDS,
    )
    message = completion.choices[0].message
    text = " ".join((message.content or "").split())
    if getattr(message, "refusal", None) or not text:
        raise AssistantUnavailable("the model wrote no summary")
    words = text.split(" ")
    if len(words) > SUMMARY_MAX_WORDS + 10:  # a little over is better than a cut sentence
        text = " ".join(words[:SUMMARY_MAX_WORDS]) + "…"
    return text


def handoff_summary_write(*, handoff_id: int) -> bool:
    """Replace a handoff's fallback summary with the model's, once; a bot's own summary, or one
    the model already wrote, is left alone. When the model fails, the fallback stays."""
    handoff = Handoff.objects.select_related("conversation").filter(pk=handoff_id).first()
    if handoff is None or handoff.summary_source != Handoff.SummarySource.EXTRACT:
        return False
    try:
        written = summary_by_model(handoff=handoff)
    except AssistantUnavailable as exc:
        logger.warning("handoff %s keeps its fallback summary: %s", handoff_id, exc)
        return False
    with transaction.atomic():
        replaced = Handoff.objects.filter(
            pk=handoff_id, summary_source=Handoff.SummarySource.EXTRACT
        ).update(summary=secrets_mask(written), summary_source=Handoff.SummarySource.AI)
        if replaced:
            events.handoff_summary_written(handoff)
    return bool(replaced)
