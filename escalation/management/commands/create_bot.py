from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator

from escalation.bots import bot_create
from escalation.models import Bot


class Command(BaseCommand):
    help = "Create a bot and print its API key once, alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--callback-url", default="", help="Where the bot's webhooks go.")

    def handle(self, *args: Any, name: str, callback_url: str, **options: Any) -> None:
        if Bot.objects.filter(name=name).exists():
            raise CommandError(f"A bot named {name!r} exists already.")
        if callback_url:
            try:
                URLValidator(schemes=["http", "https"])(callback_url)
            except ValidationError as exc:
                raise CommandError(f"Not an http(s) URL: {callback_url}") from exc
        bot, key = bot_create(name=name, callback_url=callback_url)
        self.stdout.write(f"Created bot {bot.name} (id {bot.pk}). Its API key, shown only now:")
        self.stdout.write(key)
