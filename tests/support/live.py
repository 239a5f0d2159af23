"""Talking to child daphne processes as a bot, an agent or a customer would: HTTP with a
session cookie and a CSRF token, and websockets."""

import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils.crypto import get_random_string
from websockets.exceptions import InvalidHandshake, WebSocketException
from websockets.sync.client import ClientConnection, connect

CSRF = get_random_string(32)

# For the tests that stop and start a Redis of their own (escalation.processes.redis_server):
# the embedded defaults need no Redis, so a machine without one skips them and says why.
needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="starts a redis-server of its own: apt-get install redis-server",
)


def session_headers(user: User) -> dict[str, str]:
    """Headers of a logged-in browser: the session lives in the shared database."""
    user.save()  # the factory sets the password without saving it; the session hash needs it
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    return {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


def http(
    method: str, url: str, *, body: Any = None, form: dict[str, str] | None = None, **headers: str
) -> tuple[int, str]:
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def bot_post(base_url: str, key: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    status, text = http(
        "POST", f"{base_url}/api/v1{path}", body=body, Authorization=f"Bearer {key}"
    )
    return status, json.loads(text)


def socket_open(base_url: str, path: str, user: User) -> ClientConnection:
    headers = session_headers(user)
    return connect(
        base_url.replace("http://", "ws://") + path,
        additional_headers={"Cookie": headers["Cookie"], "Origin": base_url},
        open_timeout=5,
    )


def socket_first_frame(base_url: str, path: str, user: User) -> str | None:
    """The state a socket sends on connect, or None when it cannot connect."""
    try:
        with socket_open(base_url, path, user) as socket:
            return str(socket.recv(timeout=5))
    except (InvalidHandshake, WebSocketException, OSError, TimeoutError):
        return None


def eventually(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    """Poll `check` until it answers something true."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what or check}")
        time.sleep(0.2)
