from escalation.models import Handoff
from tests.conftest import BotClient
from tests.factories import TeamFactory


def test_handoff_goes_to_the_team_the_bot_names(bot_client: BotClient) -> None:
    billing = TeamFactory(slug="billing")
    cid = bot_client.open_conversation()["id"]

    response = bot_client.post(
        f"/conversations/{cid}/handoff", {"external_id": "h1", "team": "billing"}
    )

    assert response.status_code == 201
    assert Handoff.objects.get(pk=response.json()["id"]).team == billing


def test_handoff_naming_no_team_goes_to_the_default_team(bot_client: BotClient) -> None:
    default = TeamFactory(slug="shipping", is_default=True)
    cid = bot_client.open_conversation()["id"]

    response = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})

    assert Handoff.objects.get(pk=response.json()["id"]).team == default


def test_unknown_team_is_refused(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]

    response = bot_client.post(
        f"/conversations/{cid}/handoff", {"external_id": "h1", "team": "nope"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert not Handoff.objects.exists()
