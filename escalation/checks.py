"""System checks of our own: run before every management command, and by the server as it
starts (escalation/asgi.py), which runs no checks of its own."""

import sys
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)

HOW_TO_SET_ONE = (
    "Set SECRET_KEY in the environment or .env (or SECRET_KEY_FILE to a file holding it) to a "
    "long random value, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'. "
    "For local use, `make secret-key` (run by `make run`) writes one to var/secret_key."
)


@register()
def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Outside DEBUG, a missing or guessable key is an error, not only a deploy warning: with it
    anyone could sign a session or a CSRF token. The test suite runs on a key made up for the
    run, which the servers it starts are handed (and checked on)."""
    if settings.DEBUG or "pytest" in sys.modules:
        return []
    if not settings.SECRET_KEY_IS_CONFIGURED:
        return [Error("SECRET_KEY is not set.", hint=HOW_TO_SET_ONE, id="escalation.E001")]
    key = settings.SECRET_KEY
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        message = (
            f"SECRET_KEY is guessable: shorter than {SECRET_KEY_MIN_LENGTH} characters, with "
            f"fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, or Django's "
            f"'{SECRET_KEY_INSECURE_PREFIX}' development key."
        )
        return [Error(message, hint=HOW_TO_SET_ONE, id="escalation.E002")]
    return []
