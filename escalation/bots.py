"""Bots and their API keys."""

import secrets

from django.db import transaction
from django.utils import timezone

from escalation.models import ApiKey, Bot


def api_key_issue(*, bot: Bot, label: str = "") -> str:
    """Create a key for the bot and return it; only its hash is kept, so this is the one chance
    to read it."""
    raw_key = ApiKey.PREFIX + secrets.token_urlsafe(32)
    ApiKey.objects.create(bot=bot, label=label, hashed_key=ApiKey.hash(raw_key), hint=raw_key[:10])
    return raw_key


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def bot_create(*, name: str, callback_url: str = "") -> tuple[Bot, str]:
    bot = Bot.objects.create(name=name, callback_url=callback_url)
    return bot, api_key_issue(bot=bot, label="created with the bot")
