import json
import urllib.request

from escalation.models import Conversation
from tests.support.factories import bot_with_key


def test_live_server_uses_the_test_database(live_server_url: str) -> None:
    """A bot created here authenticates against the child daphne, and what it posts there is
    stored where this test reads: one database, shared across processes."""
    with urllib.request.urlopen(f"{live_server_url}/healthz", timeout=5) as response:
        assert json.loads(response.read())["status"] == "ok"
    bot, key = bot_with_key(name="live-bot")
    body = {"external_id": "live-1", "channel": "web", "customer": {"external_id": "c-9"}}
    request = urllib.request.Request(
        f"{live_server_url}/api/v1/conversations",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201)
    assert Conversation.objects.filter(bot=bot, external_id="live-1").exists()
