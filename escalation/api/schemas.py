"""What the Bot API reads and answers: every rule on a field is stated in the OpenAPI
document as the server checks it."""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
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

from escalation.models import Team

MAX_PARAMS_DEPTH = 5


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
