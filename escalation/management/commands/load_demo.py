from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.utils import timezone

from escalation import turns
from escalation.handoff import handoff_claim, handoff_create, handoff_resolve
from escalation.models import (
    ActionLimit,
    AgentProfile,
    ApiKey,
    AuthorisedAction,
    Bot,
    Conversation,
    Disposition,
    Handoff,
    Team,
    TriggerPolicy,
)
from escalation.webchat.chat import chat_customer
from surveys.indicators import outcomes_recompute

DEMO_PASSWORD = "handover-demo"  # noqa: S105 - printed for local demos, never used in production
DEMO_BOT_KEY = "hov_demo-bot-key-for-local-use-only"

# The AI's authorised scope in the demo: it may look orders up alone, and
# issue credits of at most 50.
SCOPE_ACTIONS = [
    ("lookup_order", "Look an order up by its number"),
    ("issue_credit", "Credit the customer's account"),
]

AGENTS = [("ana", "Ana", "Silva"), ("ben", "Ben", "Okafor")]
SUPERVISORS = [("sam", "Sam", "Lindqvist")]
CHAT_CUSTOMER = ("maria", "Maria", "Gomez", "maria@example.com")
TEAMS = [("billing", "Billing", False), ("shipping", "Shipping", True)]
DISPOSITIONS = ["Late or lost delivery", "Refund or credit", "Billing question", "Account access"]
PROFILES = [
    ("ana", ["billing", "shipping"], "available"),
    ("ben", ["shipping"], "away"),
    ("sam", ["billing", "shipping"], "away"),
]

CONVERSATIONS: list[dict[str, Any]] = [
    {
        "external_id": "demo-ai-1",
        "customer": ("cust-1", "Maria Gomez", "maria@example.com", True),
        "turns": [("customer", "Where is my order 1042?"), ("ai", "Order 1042 ships tomorrow.")],
        "status": "ai",
    },
    {
        "external_id": "demo-queued-1",
        "customer": ("cust-2", "Tom Becker", "tom@example.com", True),
        "turns": [
            (
                "customer",
                "My order 1234 is three days late and I need it for a birthday on Friday.",
            ),
            ("ai", "I'm sorry about that. I can offer a credit for the delay."),
            ("customer", "I'd like 80 EUR back, the delivery fee and the gift wrap."),
        ],
        "actions": [
            ("lookup_order", {"order": "1234"}, "succeeded", "status: delayed, ETA Saturday"),
            ("issue_credit", {"amount": 80, "currency": "EUR"}, "blocked", "over the 50 EUR limit"),
        ],
        "status": "queued",
        "reason": "The credit asked for is over the AI's limit.",
    },
    {
        "external_id": "demo-queued-2",
        "customer": ("cust-3", "Lena Fischer", "", False),
        "turns": [("customer", "I was charged twice for the same subscription this month.")],
        "status": "queued",
        "reason": "Billing dispute.",
    },
    {
        "external_id": "demo-with-agent-1",
        "customer": ("cust-4", "Omar Haddad", "omar@example.com", True),
        "turns": [("customer", "Can I talk to a real person about my lost parcel 5521?")],
        "status": "with_agent",
        "agent": "ben",
        "reason": "The customer asked for a person.",
    },
    {
        "external_id": "demo-resolved-1",
        "customer": ("cust-5", "Priya Nair", "priya@example.com", True),
        "turns": [("customer", "The app will not let me change my delivery address for 7788.")],
        "status": "resolved",
        "agent": "ana",
        "reason": "The AI was not confident.",
    },
]


class Command(BaseCommand):
    help = "Load demo agents, a supervisor, a bot and conversations in every status (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        agents_group, _ = Group.objects.get_or_create(name="agents")
        supervisors_group, _ = Group.objects.get_or_create(name="supervisors")
        for username, first, last in AGENTS + SUPERVISORS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(agents_group)
            if (username, first, last) in SUPERVISORS:
                user.groups.add(supervisors_group)
                User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
        TriggerPolicy.current()
        for name, description in SCOPE_ACTIONS:
            AuthorisedAction.objects.get_or_create(name=name, defaults={"description": description})
        credit = AuthorisedAction.objects.get(name="issue_credit")
        ActionLimit.objects.get_or_create(action=credit, param="amount", defaults={"maximum": 50})
        self.load_teams_and_profiles()
        for position, name in enumerate(DISPOSITIONS):
            Disposition.objects.get_or_create(name=name, defaults={"position": position})

        bot, _ = Bot.objects.get_or_create(name="demo-bot")
        ApiKey.objects.get_or_create(
            hashed_key=ApiKey.hash(DEMO_BOT_KEY),
            defaults={"bot": bot, "label": "demo key", "hint": DEMO_BOT_KEY[:10]},
        )
        for spec in CONVERSATIONS:
            self.load_conversation(bot, spec)
        self.load_chat_customer()
        finished = outcomes_recompute()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"  agents: ana, ben; supervisor: sam — password {DEMO_PASSWORD}")
        self.stdout.write(f"  demo bot API key: {DEMO_BOT_KEY}")
        self.stdout.write(f"  web chat at /chat/: customer maria — password {DEMO_PASSWORD}")
        self.stdout.write(f"  indicators of {finished} finished case(s): /console/metrics/ (sam)")

    def load_chat_customer(self) -> None:
        """A customer for the built-in web chat; her login is her verified identity."""
        username, first, last, email = CHAT_CUSTOMER
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": email}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        chat_customer(user=user)

    def load_teams_and_profiles(self) -> None:
        """Teams (shipping is the default; credits go to billing) and the agents' profiles;
        ana starts available."""
        teams = {}
        for slug, name, is_default in TEAMS:
            teams[slug], _ = Team.objects.get_or_create(
                slug=slug, defaults={"name": name, "is_default": is_default}
            )
        TriggerPolicy.current().routing_rules.get_or_create(
            action_name="issue_credit", defaults={"team": teams["billing"]}
        )
        for username, team_slugs, presence in PROFILES:
            profile, created = AgentProfile.objects.get_or_create(
                user=User.objects.get(username=username)
            )
            if created:
                profile.presence = presence
                profile.last_seen_at = timezone.now()
                profile.save()
                profile.teams.set([teams[slug] for slug in team_slugs])

    def load_conversation(self, bot: Bot, spec: dict[str, Any]) -> None:
        if Conversation.objects.filter(bot=bot, external_id=spec["external_id"]).exists():
            return
        external_id, name, email, verified = spec["customer"]
        conversation, _ = turns.conversation_open(
            bot=bot,
            external_id=spec["external_id"],
            channel="api",
            customer=turns.CustomerDetails(
                external_id=external_id,
                name=name,
                email=email,
                is_verified=verified,
                verification_method="login" if verified else "",
            ),
        )
        for index, (sender, text) in enumerate(spec["turns"]):
            turns.message_post(
                conversation_id=conversation.pk,
                bot_id=conversation.bot_id,
                external_id=f"m{index}",
                sender=sender,
                text=text,
                confidence=0.9 if sender == "ai" else None,
            )
        for index, (name, params, outcome, detail) in enumerate(spec.get("actions", [])):
            turns.action_record(
                conversation=conversation,
                external_id=f"a{index}",
                name=name,
                params=params,
                outcome=outcome,
                detail=detail,
            )
        if spec["status"] == "ai":
            return
        # A trigger may have handed off already (the customer asked for a person, a credit was
        # over the limit); otherwise the bot hands off itself.
        handoff = conversation.handoffs.filter(status=Handoff.Status.QUEUED).first()
        if handoff is None:
            handoff, _ = handoff_create(conversation=conversation, reason=spec["reason"])
        if spec["status"] in ("with_agent", "resolved"):
            agent = User.objects.get(username=spec["agent"])
            handoff = handoff_claim(handoff=handoff, agent=agent)
        if spec["status"] == "resolved":
            handoff_resolve(handoff=handoff, agent=agent, resolution=Handoff.Resolution.RESOLVED)
