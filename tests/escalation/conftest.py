from collections.abc import Iterator

import pytest

from tests.support.webhook_server import Endpoint, endpoint_serve


@pytest.fixture
def endpoint(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    """A bot's webhook endpoint; parametrize indirectly with its plan of answers."""
    plan = getattr(request, "param", [200])
    yield from endpoint_serve(plan)
