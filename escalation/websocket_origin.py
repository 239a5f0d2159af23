"""Which pages may open this site's websockets: the site's own, exactly as for a form post."""

from typing import Any

from channels.security.websocket import WebsocketDenier
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware


class WebsocketHandshake(HttpRequest):
    """A websocket's opening handshake read as the HTTP request it is, so that Django's own
    rules for the Host (ALLOWED_HOSTS, USE_X_FORWARDED_HOST) and the scheme
    (SECURE_PROXY_SSL_HEADER) apply to it unchanged."""

    def __init__(self, scope: dict[str, Any]) -> None:
        super().__init__()
        self.path = scope.get("path", "")
        self.is_wss = scope.get("scheme") == "wss"
        for name, value in scope.get("headers", []):
            self.META["HTTP_" + name.decode("latin1").upper().replace("-", "_")] = value.decode(
                "latin1"
            )
        server_name, server_port = scope.get("server") or ("", "")
        self.META["SERVER_NAME"], self.META["SERVER_PORT"] = server_name or "", str(server_port)

    def _get_scheme(self) -> str:
        return "https" if self.is_wss else "http"


class SiteOriginValidator:
    """Refuse, before any consumer runs, a socket opened by a page that is not this site's.
    Its Origin must be the scheme, host and port the socket came in on (a Host in
    ALLOWED_HOSTS), or one of CSRF_TRUSTED_ORIGINS: the check CSRF makes of every form post,
    by the same code. Channels' AllowedHostsOriginValidator compares host names only, so a
    page on any other port of the same host (http://localhost:9999) could open an agent's
    queue socket with the agent's cookie. A socket without an Origin is refused too: every
    browser sends one."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_is_the_sites(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def origin_is_the_sites(scope: dict[str, Any]) -> bool:
    handshake = WebsocketHandshake(scope)
    if "HTTP_ORIGIN" not in handshake.META:
        return False
    # Built per handshake: it reads CSRF_TRUSTED_ORIGINS once per instance. The check is the
    # one CsrfViewMiddleware makes of every unsafe request; it is not public API (so untyped
    # in django-stubs), and tests/escalation/test_websocket_origin.py fails if it moves.
    csrf = CsrfViewMiddleware(lambda request: HttpResponse())
    return bool(csrf._origin_verified(handshake))  # type: ignore[attr-defined]
