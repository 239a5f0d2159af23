"""Bots and their API keys."""

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from escalation.backends import outage_safe
from escalation.models import ApiKey, Bot

# Every Bot API request looks its key up: the answer is kept this long in the cache. Revoking
# a key, and saving or deleting a key or its bot, drops it at once (api_keys_forget); this
# bounds what a lookup racing such a change can leave behind.
KEY_CACHE_SECONDS = 10
# last_used_at is written when a lookup misses the cache and the stored time is this old.
LAST_USED_PRECISION_SECONDS = 60


def key_cache_key(hashed_key: str) -> str:
    return f"api-key:{hashed_key}"


def api_key_find(raw_key: str) -> ApiKey | None:
    """The live key (not revoked, its bot active), with its bot; None for any other."""
    hashed_key = ApiKey.hash(raw_key)
    key: ApiKey | None = outage_safe.cache_get(key_cache_key(hashed_key))
    if key is not None:
        return key
    key = (
        ApiKey.objects.select_related("bot")
        .filter(hashed_key=hashed_key, revoked_at__isnull=True, bot__is_active=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > (
        LAST_USED_PRECISION_SECONDS
    ):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    outage_safe.cache_set(key_cache_key(hashed_key), key, KEY_CACHE_SECONDS)
    return key


def api_keys_forget(hashed_keys: Iterable[str]) -> None:
    """Drop cached lookups now, and again on commit (another request may have cached the old
    row in between)."""
    keys = [key_cache_key(hashed_key) for hashed_key in hashed_keys]

    def forget() -> None:
        for key in keys:
            outage_safe.cache_delete(key)

    forget()
    transaction.on_commit(forget)


@receiver([post_save, post_delete], sender=ApiKey, dispatch_uid="api-key-changed")
def api_key_changed(instance: ApiKey, **kwargs: Any) -> None:
    api_keys_forget([instance.hashed_key])


@receiver([post_save, post_delete], sender=Bot, dispatch_uid="bot-changed")
def bot_changed(instance: Bot, **kwargs: Any) -> None:
    """A deactivated bot's keys stop working (a deleted bot's keys are deleted with it)."""
    api_keys_forget(ApiKey.objects.filter(bot_id=instance.pk).values_list("hashed_key", flat=True))


def api_key_issue(*, bot: Bot, label: str = "") -> str:
    """Create a key for the bot and return it; only its hash is kept, so this is the one chance
    to read it."""
    raw_key = ApiKey.PREFIX + secrets.token_urlsafe(32)
    ApiKey.objects.create(bot=bot, label=label, hashed_key=ApiKey.hash(raw_key), hint=raw_key[:10])
    return raw_key


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_keys_forget([key.hashed_key])


@transaction.atomic
def bot_create(*, name: str, callback_url: str = "") -> tuple[Bot, str]:
    bot = Bot.objects.create(name=name, callback_url=callback_url)
    return bot, api_key_issue(bot=bot, label="created with the bot")
