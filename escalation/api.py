"""Bot API v1: thin endpoints that parse, call one domain function and answer (DESIGN.md)."""

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import AfterValidator

from escalation import bots, conversations, decisions, dispatch, payloads
from escalation.cache import get_and_count
from escalation.handoff import HandoffAlreadyOpen, handoff_create
from escalation.middleware import RETRY_AFTER_SECONDS
from escalation.models import ApiKey, Bot, Conversation, Team
from escalation.redaction import secrets_mask

logger = logging.getLogger(__name__)

MAX_PARAMS_DEPTH = 5


class ApiError(HttpError):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, message)
        self.code = code


class JsonObjectParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, "malformed_json", f"The body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "malformed_json", "The body must be a JSON object.")
        return data


PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """A count per second, minute, hour or day: "600/m" is (600, 60)."""
    count, _, unit = rate.partition("/")
    return int(count), PERIOD_SECONDS[unit[:1]]


@dataclass(frozen=True)
class RateCount:
    """A request's number in its key's rate-limit window."""

    number: int
    limit: int
    seconds_left: float


class BotKeyAuth(HttpBearer):
    """The bot whose key the request carries. The key's cached lookup and the request's count
    in its rate-limit window (settings.API_RATE_LIMIT, per key) share one round trip to the
    cache; ApiKeyThrottle answers on the count."""

    def authenticate(self, request: HttpRequest, token: str) -> Bot | None:
        hashed_key = ApiKey.hash(token)
        limit, period = rate_parse(settings.API_RATE_LIMIT)
        now = time.time()
        window = int(now // period)
        count = None
        try:
            cached, number = get_and_count(
                bots.key_cache_key(hashed_key), f"api-rate:{hashed_key}:{window}", period + 1
            )
            count = RateCount(number, limit, (window + 1) * period - now)
        except dispatch.UNREACHABLE as exc:
            # Without its cache the limit cannot be counted: serve rather than refuse.
            logger.warning("API rate limit not applied, the cache is unreachable: %s", exc)
            cached = None
        key = cached or bots.api_key_find(token)
        if key is None:
            return None
        request.api_key = key  # type: ignore[attr-defined]
        request.api_rate_count = count  # type: ignore[attr-defined]
        return key.bot


class ApiKeyThrottle(BaseThrottle):
    """At most settings.API_RATE_LIMIT requests per key in each window of the rate's period,
    counted by BotKeyAuth with one atomic increment in the cache (Redis when configured, so
    every process shares it, and two requests at once are both counted); more are answered
    429 with Retry-After, the seconds until the window ends. One instance serves every
    request, each in a thread of its own: what wait() returns is kept per thread."""

    def __init__(self) -> None:
        self.refused = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        count: RateCount | None = getattr(request, "api_rate_count", None)
        if count is None:  # no valid key (answered 401), or the cache is unreachable
            return True
        self.refused.wait = count.seconds_left
        return count.number <= count.limit

    def wait(self) -> float:
        return float(self.refused.wait)


api = NinjaAPI(
    title="Handover Bot API",
    version="1",
    description="Post turns, ask before acting or bluffing, and hand off to a human.",
    auth=BotKeyAuth(),
    throttle=ApiKeyThrottle(),
    parser=JsonObjectParser(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


def status_code_name(status: int) -> str:
    return STATUS_CODES.get(status, "error")


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message}}, status=status
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ApiError):  # ninja wraps errors raised while parsing the body
        exc = exc.__cause__
    code = getattr(exc, "code", status_code_name(exc.status_code))
    message = exc.message
    if isinstance(exc, AuthenticationError):
        message = "A valid API key is required: Authorization: Bearer <key>."
    if isinstance(exc, Throttled):
        message = f"Over {settings.API_RATE_LIMIT} requests for this key; see Retry-After."
    return error_response(request, exc.status_code, code, message)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors[:5]:
        where = ".".join(
            str(part) for part in error.get("loc", ()) if part not in ("body", "payload")
        )
        problems.append(
            f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "")
        )
    return error_response(request, 422, "invalid", "; ".join(problems) or "Invalid input.")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Nothing was stored (each write is one transaction): the bot retries with the same
    external_id, and the retry is stored once."""
    logger.warning("database unavailable on %s: %s", request.path, exc)
    response = error_response(
        request,
        503,
        "unavailable",
        f"The service is briefly unavailable; nothing was stored. Retry in "
        f"{RETRY_AFTER_SECONDS} seconds with the same external_id.",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "No such conversation for this bot.")


# Input ---------------------------------------------------------------------------------------


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def moment(value: datetime) -> datetime:
    """A timestamp the database can keep: in UTC (one without a time zone is taken as UTC),
    and not before the year 2000 (a sign of a broken clock or field)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.year < 2000:
        raise ValueError("must not be before the year 2000")
    return value.astimezone(UTC)


Moment = Annotated[datetime, AfterValidator(moment)]


def url_or_empty(value: str) -> str:
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError as exc:
            raise ValueError("must be an http(s) URL") from exc
    return value


def email_or_empty(value: str) -> str:
    if value:
        try:
            EmailValidator()(value)
        except DjangoValidationError as exc:
            raise ValueError("must be an email address") from exc
    return value


def plain_params(value: dict[str, Any]) -> dict[str, Any]:
    """Parameters are stored as JSON: bounded depth and no NUL characters (PostgreSQL refuses
    them in jsonb)."""

    def check(node: Any, depth: int) -> None:
        if depth > MAX_PARAMS_DEPTH:
            raise ValueError(f"must not nest deeper than {MAX_PARAMS_DEPTH} levels")
        if isinstance(node, dict):
            for key, item in node.items():
                no_nul(key)
                check(item, depth + 1)
        elif isinstance(node, list):
            for item in node:
                check(item, depth + 1)
        elif isinstance(node, str):
            no_nul(node)

    check(value, 1)
    return value


Id = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_nul)]
Text = Annotated[str, Field(max_length=20_000), AfterValidator(no_nul)]
Short = Annotated[str, Field(max_length=200), AfterValidator(no_nul)]


class CustomerIn(Schema):
    external_id: Id
    name: Short = ""
    email: Annotated[str, Field(max_length=254), AfterValidator(email_or_empty)] = ""
    phone: Annotated[str, Field(max_length=50), AfterValidator(no_nul)] = ""
    verified: bool = False
    verification_method: Annotated[str, Field(max_length=100), AfterValidator(no_nul)] = ""
    verified_at: Moment | None = None


class ConversationIn(Schema):
    external_id: Id
    channel: Annotated[str, Field(min_length=1, max_length=50), AfterValidator(no_nul)] = "api"
    customer: CustomerIn
    callback_url: Annotated[str, Field(max_length=200), AfterValidator(url_or_empty)] | None = None


class MessageIn(Schema):
    external_id: Id
    sender: Literal["customer", "ai"]
    text: Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(no_nul)]
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    sent_at: Moment | None = None


class ActionIn(Schema):
    external_id: Id
    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(no_nul)]
    params: Annotated[dict[str, Any], AfterValidator(plain_params)] = Field(default_factory=dict)
    outcome: Literal["succeeded", "failed", "blocked"] | None = None
    detail: Text = ""


class EvaluateIn(Schema):
    draft_text: Text = ""
    draft_confidence: Annotated[float, Field(ge=0.0, le=1.0)]


class HandoffIn(Schema):
    external_id: Id
    summary: Text = ""
    reason: Text = ""
    team: Annotated[str, Field(max_length=50), AfterValidator(no_nul)] | None = None


# Output --------------------------------------------------------------------------------------


class AgentOut(Schema):
    id: int
    name: str


class TriggerOut(Schema):
    kind: str
    fired: bool
    score: float
    threshold: float | None
    evidence: str


class HandoffOut(Schema):
    id: int
    status: str
    summary: str
    reason: str
    identity: dict[str, Any]
    actions: list[dict[str, Any]]
    triggers: list[dict[str, Any]]
    estimated_wait_seconds: int | None
    queued_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    assigned_agent: AgentOut | None


class DecisionOut(Schema):
    escalate: bool
    triggers: list[TriggerOut]
    handoff: HandoffOut | None
    estimated_wait_seconds: int | None
    customer_notice: str | None
    # Defaults: decisions stored before these existed are answered again on a retry.
    held: bool = Field(
        False,
        description="A soft signal fired and was held back, for lack of an agent; the AI "
        "carries on. Held on /evaluate too.",
    )
    held_count: int = Field(
        0,
        description="Soft signals held back so far (this one included); the one after the "
        "policy's max_held_soft_signals hands off anyway.",
    )


class CustomerOut(Schema):
    external_id: str
    name: str
    email: str
    phone: str
    verified: bool
    verification_method: str
    verified_at: datetime | None


class MessageOut(Schema):
    id: int
    external_id: str | None
    sender: str
    text: str
    confidence: float | None
    sent_at: datetime
    created_at: datetime


class ConversationOut(Schema):
    id: int
    external_id: str
    channel: str
    status: str
    callback_url: str
    created_at: datetime
    customer: CustomerOut
    handoff: HandoffOut | None
    assigned_agent: AgentOut | None


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


class MessageResultOut(Schema):
    message: MessageOut
    decision: DecisionOut


class ActionResultOut(Schema):
    id: int
    external_id: str
    name: str
    params: dict[str, Any]
    outcome: str
    detail: str
    allowed: bool
    rule: str | None
    decision: DecisionOut


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, type[Schema]] = {
    code: ErrorOut for code in (400, 401, 404, 409, 413, 422, 429, 503)
}


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


@api.post("/conversations", response={200: ConversationOut, 201: ConversationOut, **ERRORS})
def create_conversation(request: HttpRequest, payload: ConversationIn) -> Status:
    customer = payload.customer
    conversation, created = conversations.conversation_open(
        bot=request_bot(request),
        external_id=payload.external_id,
        channel=payload.channel,
        callback_url=payload.callback_url or "",
        customer=conversations.CustomerDetails(
            external_id=customer.external_id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            is_verified=customer.verified,
            verification_method=customer.verification_method,
            verified_at=customer.verified_at,
        ),
    )
    return Status(201 if created else 200, conversation_payload(conversation))


@api.get("/conversations/{conversation_id}", response={200: ConversationDetailOut, **ERRORS})
def get_conversation(
    request: HttpRequest, conversation_id: int, since: int | None = None
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
def post_message(request: HttpRequest, conversation_id: int, payload: MessageIn) -> Status:
    try:
        message, created = conversations.message_post(
            conversation_id=conversation_id,
            bot_id=request_bot(request).pk,
            external_id=payload.external_id,
            sender=payload.sender,
            text=payload.text,
            confidence=payload.confidence,
            sent_at=payload.sent_at,
        )
    except conversations.ConversationClosed as exc:
        raise ApiError(409, "with_human", str(exc)) from exc
    except Conversation.DoesNotExist as exc:
        raise Http404 from exc
    if created is False and (
        message.sender != payload.sender or message.text != secrets_mask(payload.text)
    ):
        raise ApiError(409, "external_id_reused", "This external_id names another message.")
    return Status(201 if created else 200, {"message": message, "decision": message.decision})


@api.post(
    "/conversations/{conversation_id}/actions",
    response={200: ActionResultOut, 201: ActionResultOut, **ERRORS},
)
def post_action(request: HttpRequest, conversation_id: int, payload: ActionIn) -> Status:
    conversation = bot_conversation(request, conversation_id)
    action, created = conversations.action_record(
        conversation=conversation,
        external_id=payload.external_id,
        name=payload.name,
        params=payload.params,
        outcome=payload.outcome,
        detail=payload.detail,
    )
    if created is False and action.name != payload.name:
        raise ApiError(409, "external_id_reused", "This external_id names another action.")
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
    request: HttpRequest, conversation_id: int, payload: EvaluateIn
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
def request_handoff(request: HttpRequest, conversation_id: int, payload: HandoffIn) -> Status:
    conversation = bot_conversation(request, conversation_id)
    team = Team.objects.filter(slug=payload.team).first() if payload.team else None
    if payload.team and team is None:
        raise ApiError(422, "invalid", f"team: no team with the slug {payload.team!r}")
    try:
        handoff, created = handoff_create(
            conversation=conversation,
            external_id=payload.external_id,
            summary=payload.summary,
            reason=payload.reason,
            triggers=[],
            team=team,
        )
    except HandoffAlreadyOpen as exc:
        raise ApiError(409, "handoff_open", str(exc)) from exc
    return Status(201 if created else 200, payloads.handoff_payload(handoff))
