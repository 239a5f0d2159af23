from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


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
