"""Bot API v1: thin endpoints that parse, call one domain function and answer (DESIGN.md)."""

import json
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    StrictBool,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from escalation import bots, conversations, decisions, dispatch, payloads
from escalation.cache import get_and_count
from escalation.handoff import HandoffAlreadyOpen, handoff_create
from escalation.idempotency import IdempotencyConflict
from escalation.middleware import RETRY_AFTER_SECONDS
from escalation.models import ApiKey, Bot, Conversation, Team

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
        except ValueError as exc:  # not UTF-8, not JSON, or an integer of over 4,300 digits
            raise ApiError(400, "malformed_json", f"The body is not valid JSON: {exc}") from exc
        except RecursionError as exc:  # arrays or objects nested thousands deep
            raise ApiError(400, "malformed_json", "The body nests too deeply to read.") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "malformed_json", "The body must be a JSON object.")
        if b"\\ud" in request.body.lower():  # only an escape can make half a surrogate pair
            try:
                json.dumps(data, ensure_ascii=False).encode()
            except UnicodeEncodeError as exc:
                raise ApiError(
                    400,
                    "malformed_json",
                    "The body is not Unicode text: a \\uD800-\\uDFFF escape must be one half "
                    "of a surrogate pair.",
                ) from exc
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
    if any(error.get("loc", ())[:1] == ("path",) for error in exc.errors):
        return not_found(request)  # a path naming no conversation, like another bot's
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


@api.exception_handler(IdempotencyConflict)
def on_idempotency_conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    return error_response(request, 409, "idempotency_conflict", str(exc))


def not_found(request: HttpRequest) -> HttpResponse:
    return error_response(request, 404, "not_found", "No such conversation for this bot.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return not_found(request)


# Input ---------------------------------------------------------------------------------------
# Every rule on a field is stated in the OpenAPI document as the server checks it (the same
# pattern, bounds and types), so that a client generated from the document is never refused.


@dataclass(frozen=True)
class Matches:
    """A rule on a string, checked with `pattern` (written so that Python and ECMA-262, the
    dialect of JSON Schema, read it alike) and stated in the document as that pattern;
    `message` says what a refused value must be."""

    pattern: str
    message: str

    def check(self, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(self.pattern, value) is None:
            raise ValueError(self.message)
        return value  # anything but a string is the type's to refuse

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(schema) | {"pattern": self.pattern}


NO_NUL = Matches(r"^[^\x00]*$", "must not contain NUL characters")

YEAR = "(?:2[0-9]{3}|[3-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9])"  # 2000 to 9998
MOMENT = Matches(
    rf"^{YEAR}-[0-9]{{2}}-[0-9]{{2}}[Tt][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$",
    "must be an RFC 3339 date-time with its offset, e.g. 2026-11-29T10:00:00Z, in a year from "
    "2000 (earlier is a broken clock or field) to 9998 (later does not fit in UTC)",
)

HOST_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN = rf"(?:{HOST_LABEL}\.)+[A-Za-z]{{2,63}}"
IPV4_BYTE = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
HOST = rf"(?:localhost|{DOMAIN}|{IPV4_BYTE}(?:\.{IPV4_BYTE}){{3}})"
CALLBACK_URL = Matches(
    rf"^(?:https?://{HOST}(?::[0-9]{{1,5}})?(?:[/?#][!-~]*)?)?$",
    "must be an http(s) URL with a host name or IPv4 address, e.g. https://bot.example.com/hooks",
)
EMAIL = Matches(
    rf"^(?:[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]+)*@{DOMAIN})?$",
    "must be an email address, e.g. ana@example.com",
)


def string_only(value: Any) -> Any:
    """A timestamp is a string: pydantic would also read a number as seconds since 1970."""
    if not isinstance(value, str):
        raise ValueError(MOMENT.message)
    return value


def in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def team_slugs(schema: dict[str, Any]) -> None:
    """The document lists the teams there are: a bot can only name one of those."""
    schema["enum"] = list(Team.objects.order_by("slug").values_list("slug", flat=True))


# Annotations apply inside out: the last before-validator runs first.
Moment = Annotated[datetime, MOMENT, BeforeValidator(string_only), AfterValidator(in_utc)]
Plain = Annotated[str, NO_NUL]
Id = Annotated[Plain, Field(min_length=1, max_length=200)]
Text = Annotated[Plain, Field(max_length=20_000)]
Short = Annotated[Plain, Field(max_length=200)]
Confidence = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
# Ids are 64-bit: a path naming anything else names no conversation (404).
ConversationId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def json_value_schema(levels: int) -> dict[str, Any]:
    """Any JSON value with no NUL in its strings and keys, whose arrays and objects nest at
    most `levels` deep."""
    branches: list[dict[str, Any]] = [
        {"type": "string", "pattern": NO_NUL.pattern},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
    if levels:
        inner = json_value_schema(levels - 1)
        branches += [
            {"type": "array", "items": inner},
            {
                "type": "object",
                "propertyNames": {"pattern": NO_NUL.pattern},
                "additionalProperties": inner,
            },
        ]
    return {"anyOf": branches}


def plain_params(value: dict[str, Any]) -> dict[str, Any]:
    """Parameters are stored as JSON: objects and arrays nested at most MAX_PARAMS_DEPTH deep
    (the parameters the first), no NUL characters (PostgreSQL refuses them in jsonb) and
    finite numbers (JSON has no NaN or Infinity, which Python's parser reads, and 1e309)."""

    def check(node: Any, depth: int) -> None:
        if isinstance(node, dict | list):
            if depth > MAX_PARAMS_DEPTH:
                raise ValueError(f"must not nest deeper than {MAX_PARAMS_DEPTH} levels")
            for key in node if isinstance(node, dict) else ():
                NO_NUL.check(key)
            for item in node.values() if isinstance(node, dict) else node:
                check(item, depth + 1)
        elif isinstance(node, str):
            NO_NUL.check(node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError("must not contain NaN or infinite numbers")

    check(value, 1)
    return value


PARAMS_SCHEMA = {
    "type": "object",
    "propertyNames": {"pattern": NO_NUL.pattern},
    "additionalProperties": json_value_schema(MAX_PARAMS_DEPTH - 1),
}
Params = Annotated[dict[str, Any], AfterValidator(plain_params), WithJsonSchema(PARAMS_SCHEMA)]


class CustomerIn(Schema):
    external_id: Id
    name: Short = ""
    email: Annotated[str, EMAIL, Field(max_length=254)] = ""
    phone: Annotated[Plain, Field(max_length=50)] = ""
    verified: StrictBool = False
    verification_method: Annotated[Plain, Field(max_length=100)] = ""
    verified_at: Moment | None = None


class ConversationIn(Schema):
    external_id: Id
    channel: Annotated[Plain, Field(min_length=1, max_length=50)] = "api"
    customer: CustomerIn
    callback_url: Annotated[str, CALLBACK_URL, Field(max_length=200)] | None = None


class MessageIn(Schema):
    external_id: Id
    sender: Literal["customer", "ai"]
    text: Annotated[Plain, Field(min_length=1, max_length=20_000)]
    confidence: Confidence | None = None
    sent_at: Moment | None = None


class ActionIn(Schema):
    external_id: Id
    name: Annotated[Plain, Field(min_length=1, max_length=100)]
    params: Params = Field(default_factory=dict)
    outcome: Literal["succeeded", "failed", "blocked"] | None = None
    detail: Text = ""


class EvaluateIn(Schema):
    draft_text: Text = ""
    draft_confidence: Confidence


class HandoffIn(Schema):
    external_id: Id
    summary: Text = ""
    reason: Text = ""
    team: Annotated[str, Field(max_length=50, json_schema_extra=team_slugs)] | None = None


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
        message, created = conversations.message_post(
            conversation_id=conversation_id,
            bot_id=request_bot(request).pk,
            external_id=payload.external_id,
            sender=payload.sender,
            text=payload.text,
            confidence=payload.confidence,
            sent_at=payload.sent_at,
            retry_must_match=True,
        )
    except conversations.ConversationClosed as exc:
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
    action, created = conversations.action_record(
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
