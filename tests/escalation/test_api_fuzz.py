"""Schema-driven fuzzing of the Bot API: whatever a bot sends, valid or not, the answer is
never a server error, and every refusal is the error envelope."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests.conftest import BotClient

MAX_EXAMPLES = 40


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def fuzzing_bot(
    bot_client: BotClient, scope: None, settings: Any
) -> Iterator[tuple[BotClient, int]]:
    settings.API_RATE_LIMIT = "100000/m"
    conversation_id = bot_client.open_conversation()["id"]
    # As in Django's test client: requests must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield bot_client, conversation_id
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_answers_a_server_error(
    case: Any, fuzzing_bot: tuple[BotClient, int]
) -> None:
    bot, conversation_id = fuzzing_bot
    if "conversation_id" in (case.path_parameters or {}):
        case.path_parameters["conversation_id"] = conversation_id  # one the bot owns
    response = case.call(headers={"Authorization": f"Bearer {bot.key}"})

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), (
            response.status_code,
            case.method,
            case.formatted_path,
            response.text[:200],
        )
        assert set(response.json()["error"]) == {"code", "message"}
