import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# The database failing for a moment (connection lost, server restarting, a serialization
# failure or deadlock): the transaction was rolled back whole, so asking again is safe.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


class Middleware:
    """A middleware for both handlers. Under ASGI it stays async: one sync middleware in the
    chain puts every request's whole chain in a thread of its own. `before` and `after` are
    plain CPU work, run inline in either mode (MiddlewareMixin hands each hook to a thread)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.acall(request)
        response = self.before(request)
        if response is None:
            response = self.get_response(request)
        return self.after(request, response)

    async def acall(self, request: HttpRequest) -> HttpResponse:
        response = self.before(request)
        if response is None:
            response = await self.get_response(request)
        return self.after(request, response)

    def before(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return response


class ApiBodyLimitMiddleware(Middleware):
    """Refuse an oversized Bot API body from its Content-Length, before anything reads it."""

    def before(self, request: HttpRequest) -> HttpResponse | None:
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
        return None


class PermissionsPolicyMiddleware(Middleware):
    """Switch off the browser features no page uses (Django sets the other security headers)."""

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class DatabaseUnavailableMiddleware(Middleware):
    """A page whose database failed answers 503 with a retry hint and a page that needs no
    database to render (the Bot API answers its own JSON 503, escalation/api/endpoints.py)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning("database unavailable on %s: %s", request.path, exception)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
