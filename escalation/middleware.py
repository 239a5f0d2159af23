import logging
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# The database failing for a moment (connection lost, server restarting, a serialization
# failure or deadlock): the transaction was rolled back whole, so asking again is safe.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


class ApiBodyLimitMiddleware:
    """Refuse an oversized Bot API body from its Content-Length, before anything reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            limit = settings.API_MAX_BODY_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length == 0:
                # No Content-Length (chunked, or no body at all): read at most one byte over the
                # limit, and keep what was read as the body the API will parse.
                body = request.read(limit + 1)
                length = len(body)
                request._body = body
            if length > limit:
                return JsonResponse(
                    {"error": {"code": "too_large", "message": f"The body is over {limit} bytes."}},
                    status=413,
                )
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Switch off the browser features no page uses (Django sets the other security headers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ApiErrorEnvelopeMiddleware:
    """Refusals made outside the API's handlers (an unknown path, a method not allowed) carry
    the same error body as the rest: {"error": {"code", "message"}}."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from escalation.api import error_response, status_code_name

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


class DatabaseUnavailableMiddleware:
    """A page whose database failed answers 503 with a retry hint and a page that needs no
    database to render (the Bot API answers its own JSON 503, escalation/api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning("database unavailable on %s: %s", request.path, exception)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
