"""The site's sockets open only for pages of the site itself (escalation/websocket_origin.py),
checked on real connections through the whole ASGI application."""

import logging
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from escalation.asgi import application
from tests.agents_console.test_consumers import session_cookie
from tests.escalation.webchat.test_consumers import customer_chat
from tests.support.factories import HandoffFactory, console_agent

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("scope"),
]

ROUTES = ["console queue", "console case", "customer chat"]


def route_and_user(route: str) -> tuple[str, Any]:
    """A socket path and a user the route's consumer accepts."""
    if route == "console queue":
        return "/ws/console/queue/", console_agent()
    if route == "console case":
        return f"/ws/console/cases/{HandoffFactory().pk}/", console_agent()
    customer, conversation = customer_chat("maria")
    return f"/ws/chat/{conversation.pk}/", customer


async def opened(
    route: str, *, host: bytes, origin: bytes | None, scheme: str = "ws"
) -> tuple[bool, Any]:
    path, user = await sync_to_async(route_and_user)(route)
    headers = [(b"host", host), (b"cookie", await sync_to_async(session_cookie)(user))]
    if origin is not None:
        headers.append((b"origin", origin))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["scheme"] = scheme
    connected, code = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected, code


@pytest.mark.parametrize("route", ROUTES)
async def test_a_page_on_another_port_cannot_open_the_socket(route: str) -> None:
    connected, _ = await opened(route, host=b"localhost:8000", origin=b"http://localhost:9999")

    assert not connected


@pytest.mark.parametrize("route", ROUTES)
async def test_the_sites_own_page_opens_the_socket(route: str) -> None:
    connected, _ = await opened(route, host=b"localhost:8000", origin=b"http://localhost:8000")

    assert connected


@pytest.mark.parametrize("route", ROUTES)
async def test_a_socket_without_an_origin_is_refused(route: str) -> None:
    connected, _ = await opened(route, host=b"localhost:8000", origin=None)

    assert not connected


async def test_a_page_over_https_cannot_open_a_plain_socket() -> None:
    connected, _ = await opened(
        "console queue", host=b"localhost:8000", origin=b"https://localhost:8000"
    )

    assert not connected


async def test_a_secure_page_opens_a_secure_socket() -> None:
    connected, _ = await opened(
        "console queue", host=b"localhost:8000", origin=b"https://localhost:8000", scheme="wss"
    )

    assert connected


async def test_a_host_the_site_does_not_serve_is_refused_even_with_a_matching_origin() -> None:
    connected, _ = await opened(
        "console queue", host=b"rebound.example", origin=b"http://rebound.example"
    )

    assert not connected


async def test_a_trusted_origin_opens_the_socket(settings: Any) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://support.example.com"]

    connected, _ = await opened(
        "console queue", host=b"127.0.0.1:8000", origin=b"https://support.example.com"
    )

    assert connected


async def test_a_trusted_domains_subdomain_opens_the_socket(settings: Any) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]

    connected, _ = await opened(
        "console queue", host=b"127.0.0.1:8000", origin=b"https://eu.example.com"
    )

    assert connected


async def test_an_unknown_path_is_closed_cleanly(caplog: Any) -> None:
    communicator = WebsocketCommunicator(
        application,
        "/ws/nowhere/",
        headers=[(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")],
    )

    with caplog.at_level(logging.WARNING):
        connected, code = await communicator.connect()

    assert (connected, code) == (False, 4404)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
