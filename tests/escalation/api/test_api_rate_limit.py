import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import time_machine
from django.http import HttpRequest

from escalation import bots
from escalation.api.auth import ApiKeyThrottle, BotKeyAuth
from tests.conftest import BotClient
from tests.support.factories import bot_with_key

THREADS = 40


@pytest.fixture
def three_a_minute(settings: Any) -> None:
    settings.API_RATE_LIMIT = "3/m"


def test_over_the_limit_is_429_with_retry_after(
    bot_client: BotClient, three_a_minute: None
) -> None:
    answers = [bot_client.get("/conversations/999999") for _ in range(4)]

    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 60


def test_the_limit_is_per_key(bot_client: BotClient, three_a_minute: None) -> None:
    for _ in range(3):
        bot_client.get("/conversations/999999")
    bot_client.key = bot_with_key(name="second-key-bot")[1]

    assert bot_client.get("/conversations/999999").status_code == 404


def test_the_next_window_allows_requests_again(bot_client: BotClient, three_a_minute: None) -> None:
    with time_machine.travel(0, tick=False) as clock:
        for _ in range(3):
            bot_client.get("/conversations/999999")
        assert bot_client.get("/conversations/999999").status_code == 429
        clock.shift(61)
        assert bot_client.get("/conversations/999999").status_code == 404


def test_requests_without_a_valid_key_are_not_counted(
    bot_client: BotClient, three_a_minute: None
) -> None:
    key = bot_client.key
    bot_client.key = "hov_wrong"
    for _ in range(5):
        assert bot_client.get("/conversations/1").status_code == 401
    bot_client.key = key

    assert bot_client.get("/conversations/999999").status_code == 404


def test_requests_at_the_same_moment_are_all_counted(settings: Any, db: None) -> None:
    """Each request is counted with one atomic increment, as its key is looked up: requests
    checked at once, in the threads serving them, cannot slip past the limit between one's
    read and another's write."""
    settings.API_RATE_LIMIT = "5/m"
    bot, token = bot_with_key(name="busy-bot")
    bots.api_key_find(token)  # cached: the threads find it without the test's transaction
    auth, throttle = BotKeyAuth(), ApiKeyThrottle()
    start = threading.Barrier(THREADS)

    def check(_: int) -> bool:
        request = HttpRequest()
        start.wait()
        assert auth.authenticate(request, token) == bot
        return throttle.allow_request(request)

    with ThreadPoolExecutor(THREADS) as pool:
        allowed = list(pool.map(check, range(THREADS)))

    assert allowed.count(True) == 5
