from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.erasure import CustomerHasOpenCase, customer_erase, customers_matching


class Command(BaseCommand):
    help = (
        "Erase a customer's personal data on request (right to erasure): identity, messages, "
        "notes, survey comments and webhook bodies. The indicators' counts stay as they were."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "customer", help="The customer's external id, web chat login or number (id)."
        )
        parser.add_argument("--bot", help="The bot whose customer it is, when ids repeat.")

    def handle(self, *args: Any, customer: str, bot: str | None, **options: Any) -> None:
        found = customers_matching(reference=customer, bot_name=bot)
        if not found:
            raise CommandError(f"No customer {customer!r}" + (f" of bot {bot!r}." if bot else "."))
        if len(found) > 1:
            bots = ", ".join(sorted(c.bot.name for c in found))
            raise CommandError(f"{len(found)} customers match {customer!r} (bots {bots}): --bot?")
        try:
            erased = customer_erase(customer=found[0])
        except CustomerHasOpenCase as exc:
            raise CommandError(f"{exc} Resolve it, then erase.") from exc
        self.stdout.write(
            f"Erased customer {found[0].pk}: {erased.conversations} conversations, "
            f"{erased.messages} messages, {erased.handoffs} handoffs."
        )
