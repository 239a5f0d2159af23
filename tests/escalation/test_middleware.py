import json
from io import BytesIO

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse
from django.test import Client
from django.utils.module_loading import import_string

from escalation.middleware import ApiBodyLimitMiddleware
from tests.conftest import BotClient


def chunked_request(body: bytes) -> ASGIRequest:
    """A POST without Content-Length, as a chunked upload reaches the ASGI server."""
    scope = {"type": "http", "method": "POST", "path": "/api/v1/conversations", "headers": []}
    return ASGIRequest(scope, BytesIO(body))


def test_a_body_without_content_length_is_still_read_by_the_api() -> None:
    middleware = ApiBodyLimitMiddleware(lambda request: HttpResponse(request.body))

    response = middleware(chunked_request(b'{"external_id": "c-1"}'))

    assert response.content == b'{"external_id": "c-1"}'


def test_a_body_without_content_length_over_the_limit_is_413(settings: object) -> None:
    middleware = ApiBodyLimitMiddleware(lambda request: HttpResponse(request.body))

    response = middleware(chunked_request(b"x" * (70 * 1024)))

    assert response.status_code == 413


def test_a_method_the_api_does_not_take_is_405_in_the_envelope(bot_client: BotClient) -> None:
    response = bot_client.client.delete("/api/v1/conversations", headers=bot_client.headers())

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]


def test_an_unknown_api_path_is_404_in_the_envelope(db: None) -> None:
    response = Client().get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert json.loads(response.content)["error"]["code"] == "not_found"


def test_every_middleware_can_run_async() -> None:
    """One sync-only middleware puts each request's whole chain in a thread of its own under
    ASGI, and every request then starts one."""
    sync_only = [
        path
        for path in settings.MIDDLEWARE
        if not getattr(import_string(path), "async_capable", False)
    ]

    assert sync_only == []
