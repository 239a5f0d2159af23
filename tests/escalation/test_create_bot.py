from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from escalation.models import ApiKey, Bot
from tests.conftest import BotClient


def test_prints_a_working_key_alone_on_the_last_line(db: None) -> None:
    out = StringIO()
    call_command(
        "create_bot", "shop-bot", "--callback-url", "https://shop.example/hooks", stdout=out
    )

    key = out.getvalue().strip().splitlines()[-1]
    bot = Bot.objects.get(name="shop-bot")
    assert bot.callback_url == "https://shop.example/hooks"
    assert ApiKey.objects.get(bot=bot).hashed_key == ApiKey.hash(key)
    response = BotClient(bot, key).post(
        "/conversations", {"external_id": "c1", "customer": {"external_id": "x"}}
    )
    assert response.status_code == 201


def test_refuses_a_duplicate_name_and_a_bad_url(db: None) -> None:
    call_command("create_bot", "shop-bot", stdout=StringIO())
    with pytest.raises(CommandError, match="exists"):
        call_command("create_bot", "shop-bot", stdout=StringIO())
    with pytest.raises(CommandError, match="URL"):
        call_command("create_bot", "other", "--callback-url", "javascript:x", stdout=StringIO())
    assert Bot.objects.count() == 1
