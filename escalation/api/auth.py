"""Who is calling the Bot API: the bot whose key the request carries, and its rate limit."""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from escalation import bots
from escalation.backends import outage_safe
from escalation.backends.cache import get_and_count
from escalation.models import ApiKey, Bot

logger = logging.getLogger(__name__)


PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """A count per second, minute, hour or day: "600/m" is (600, 60)."""
    count, _, unit = rate.partition("/")
    return int(count), PERIOD_SECONDS[unit[:1]]


@dataclass(frozen=True)
class RateCount:
    """A request's number in its key's rate-limit window."""

    number: int
    limit: int
    seconds_left: float


class BotKeyAuth(HttpBearer):
    """The bot whose key the request carries. The key's cached lookup and the request's count
    in its rate-limit window (settings.API_RATE_LIMIT, per key) share one round trip to the
    cache; ApiKeyThrottle answers on the count."""

    def authenticate(self, request: HttpRequest, token: str) -> Bot | None:
        hashed_key = ApiKey.hash(token)
        limit, period = rate_parse(settings.API_RATE_LIMIT)
        now = time.time()
        window = int(now // period)
        count = None
        try:
            cached, number = get_and_count(
                bots.key_cache_key(hashed_key), f"api-rate:{hashed_key}:{window}", period + 1
            )
            count = RateCount(number, limit, (window + 1) * period - now)
        except outage_safe.UNREACHABLE as exc:
            # Without its cache the limit cannot be counted: serve rather than refuse.
            logger.warning("API rate limit not applied, the cache is unreachable: %s", exc)
            cached = None
        key = cached or bots.api_key_find(token)
        if key is None:
            return None
        request.api_key = key  # type: ignore[attr-defined]
        request.api_rate_count = count  # type: ignore[attr-defined]
        return key.bot


class ApiKeyThrottle(BaseThrottle):
    """At most settings.API_RATE_LIMIT requests per key in each window of the rate's period,
    counted by BotKeyAuth with one atomic increment in the cache (Redis when configured, so
    every process shares it, and two requests at once are both counted); more are answered
    429 with Retry-After, the seconds until the window ends. One instance serves every
    request, each in a thread of its own: what wait() returns is kept per thread."""

    def __init__(self) -> None:
        self.refused = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        count: RateCount | None = getattr(request, "api_rate_count", None)
        if count is None:  # no valid key (answered 401), or the cache is unreachable
            return True
        self.refused.wait = count.seconds_left
        return count.number <= count.limit

    def wait(self) -> float:
        return float(self.refused.wait)
