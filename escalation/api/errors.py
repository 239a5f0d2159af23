"""How the Bot API refuses: one error body, {"error": {"code", "message"}}, for every refusal."""

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

from escalation.idempotency import IdempotencyConflict
from escalation.middleware import RETRY_AFTER_SECONDS, Middleware

logger = logging.getLogger(__name__)


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
    body = json.dumps({"error": {"code": code, "message": message}})
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


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


def on_idempotency_conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    return error_response(request, 409, "idempotency_conflict", str(exc))


def not_found(request: HttpRequest) -> HttpResponse:
    return error_response(request, 404, "not_found", "No such conversation for this bot.")


def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return not_found(request)


HANDLERS: dict[type[Exception], Callable[..., HttpResponse]] = {
    HttpError: on_http_error,
    ValidationError: on_validation_error,
    OperationalError: on_database_unavailable,
    InterfaceError: on_database_unavailable,
    IdempotencyConflict: on_idempotency_conflict,
    Http404: on_not_found,
}


def handlers_register(api: NinjaAPI) -> None:
    """Every error the API answers carries one body: {"error": {"code", "message"}}."""
    for exc_class, handler in HANDLERS.items():
        api.add_exception_handler(exc_class, handler)


class ApiErrorEnvelopeMiddleware(Middleware):
    """Refusals made outside the API's handlers (an unknown path, a method not allowed) carry
    the same error body as the rest: {"error": {"code", "message"}}."""

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            enveloped = error_response(
                request,
                response.status_code,
                status_code_name(response.status_code),
                HTTPStatus(response.status_code).phrase + ".",
            )
            if "Allow" in response:
                enveloped["Allow"] = response["Allow"]
            return enveloped
        return response
