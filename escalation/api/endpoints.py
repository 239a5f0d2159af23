"""Bot API v1: thin endpoints that parse, call one domain function and answer (DESIGN.md)."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import NinjaAPI, Schema, Status

from escalation import decisions, payloads, turns
from escalation.api.auth import ApiKeyThrottle, BotKeyAuth
from escalation.api.errors import ApiError, JsonObjectParser, handlers_register
from escalation.api.schemas import (
    ERRORS,
    ActionIn,
    ActionResultOut,
    ConversationDetailOut,
    ConversationId,
    ConversationIn,
    ConversationOut,
    DecisionOut,
    EvaluateIn,
    HandoffIn,
    HandoffOut,
    MessageIn,
    MessageResultOut,
)
from escalation.handoff import HandoffAlreadyOpen, handoff_create
from escalation.models import Bot, Conversation, Team

api = NinjaAPI(
    title="Handover Bot API",
    version="1",
    description=(
        "Post turns, ask before acting or bluffing, and hand off to a human. Every write takes"
        " an external_id and is idempotent on it: a retry answers the first result, and a retry"
        " with other values is 409 idempotency_conflict. A body over"
        f" {settings.API_MAX_BODY_BYTES} bytes is refused with 413 before it is read."
    ),
    auth=BotKeyAuth(),
    throttle=ApiKeyThrottle(),
    parser=JsonObjectParser(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

handlers_register(api)


def conversation_payload(conversation: Conversation) -> dict[str, Any]:
    handoff = decisions.open_handoff(conversation) or conversation.handoffs.order_by("-pk").first()
    return {
        "id": conversation.pk,
        "external_id": conversation.external_id,
        "channel": conversation.channel,
        "status": conversation.status,
        "callback_url": conversation.callback_url,
        "created_at": conversation.created_at,
        "customer": conversation.customer.identity_snapshot(),
        "handoff": payloads.handoff_payload(handoff) if handoff else None,
        "assigned_agent": (
            payloads.agent_payload(handoff.claimed_by)
            if handoff and handoff.is_open and handoff.claimed_by
            else None
        ),
    }


def request_bot(request: HttpRequest) -> Bot:
    """The bot whose key authenticated the request (set by BotKeyAuth)."""
    return request.auth  # type: ignore[attr-defined]


def bot_conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    """Another bot's conversation is answered like a missing one: 404, nothing leaked."""
    return get_object_or_404(
        Conversation.objects.select_related("customer"),
        pk=conversation_id,
        bot=request_bot(request),
    )


# Endpoints -----------------------------------------------------------------------------------


class IndexOut(Schema):
    name: str
    version: str
    openapi: str
    docs: str


@api.get("/", auth=None, response=IndexOut, summary="Where the API's documents are")
def index(request: HttpRequest) -> dict[str, str]:
    return {
        "name": api.title,
        "version": api.version,
        "openapi": reverse("api-v1:openapi-json"),
        "docs": reverse("api-v1:openapi-view"),
    }


@api.post("/conversations", response={200: ConversationOut, 201: ConversationOut, **ERRORS})
def create_conversation(request: HttpRequest, payload: ConversationIn) -> Status:
    customer = payload.customer
    conversation, created = turns.conversation_open(
        bot=request_bot(request),
        external_id=payload.external_id,
        channel=payload.channel,
        callback_url=payload.callback_url or "",
        customer=turns.CustomerDetails(
            external_id=customer.external_id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            is_verified=customer.verified,
            verification_method=customer.verification_method,
            verified_at=customer.verified_at,
        ),
        retry_must_match=True,
    )
    return Status(201 if created else 200, conversation_payload(conversation))


@api.get("/conversations/{conversation_id}", response={200: ConversationDetailOut, **ERRORS})
def get_conversation(
    request: HttpRequest, conversation_id: ConversationId, since: int | None = None
) -> dict[str, Any]:
    conversation = bot_conversation(request, conversation_id)
    messages = conversation.messages.all()
    if since is not None:
        messages = messages.filter(pk__gt=since)
    return conversation_payload(conversation) | {"messages": list(messages)}


@api.post(
    "/conversations/{conversation_id}/messages",
    response={200: MessageResultOut, 201: MessageResultOut, **ERRORS},
)
def post_message(
    request: HttpRequest, conversation_id: ConversationId, payload: MessageIn
) -> Status:
    try:
        message, created = turns.message_post(
            conversation_id=conversation_id,
            bot_id=request_bot(request).pk,
            bot=request_bot(request),
            external_id=payload.external_id,
            sender=payload.sender,
            text=payload.text,
            confidence=payload.confidence,
            sent_at=payload.sent_at,
            retry_must_match=True,
        )
    except turns.ConversationClosed as exc:
        raise ApiError(409, "with_human", str(exc)) from exc
    except Conversation.DoesNotExist as exc:
        raise Http404 from exc
    return Status(201 if created else 200, {"message": message, "decision": message.decision})


@api.post(
    "/conversations/{conversation_id}/actions",
    response={200: ActionResultOut, 201: ActionResultOut, **ERRORS},
)
def post_action(request: HttpRequest, conversation_id: ConversationId, payload: ActionIn) -> Status:
    conversation = bot_conversation(request, conversation_id)
    action, created = turns.action_record(
        conversation=conversation,
        external_id=payload.external_id,
        name=payload.name,
        params=payload.params,
        outcome=payload.outcome,
        detail=payload.detail,
        retry_must_match=True,
    )
    return Status(
        201 if created else 200,
        {
            "id": action.pk,
            "external_id": action.external_id,
            "name": action.name,
            "params": action.params,
            "outcome": action.outcome,
            "detail": action.detail,
            "allowed": not action.rule,
            "rule": action.rule or None,
            "decision": action.decision,
        },
    )


@api.post("/conversations/{conversation_id}/evaluate", response={200: DecisionOut, **ERRORS})
def evaluate_draft(
    request: HttpRequest, conversation_id: ConversationId, payload: EvaluateIn
) -> dict[str, Any]:
    conversation = bot_conversation(request, conversation_id)
    return decisions.decision_for_draft(
        conversation=conversation,
        draft_text=payload.draft_text,
        draft_confidence=payload.draft_confidence,
    )


@api.post(
    "/conversations/{conversation_id}/handoff",
    response={200: HandoffOut, 201: HandoffOut, **ERRORS},
)
def request_handoff(
    request: HttpRequest, conversation_id: ConversationId, payload: HandoffIn
) -> Status:
    conversation = bot_conversation(request, conversation_id)
    team = None
    if payload.team is not None:
        team = Team.objects.filter(slug=payload.team).first()
        if team is None:
            raise ApiError(
                422, "invalid", f"team: no team with the slug {payload.team!r} (see /openapi.json)"
            )
    try:
        handoff, created = handoff_create(
            conversation=conversation,
            external_id=payload.external_id,
            summary=payload.summary,
            reason=payload.reason,
            triggers=[],
            team=team,
            retry_must_match=True,
        )
    except HandoffAlreadyOpen as exc:
        raise ApiError(409, "handoff_open", str(exc)) from exc
    return Status(201 if created else 200, payloads.handoff_payload(handoff))
