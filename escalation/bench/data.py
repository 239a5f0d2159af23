"""The bench's own data, written straight to its database: bots, agents and their sessions,
cases of a given length, a queue of a given size, and the large data set of --scale."""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from escalation.bots import bot_create
from escalation.models import AgentProfile, Conversation, Customer, Handoff, Message, TriggerPolicy
from escalation.roles import AGENTS

CUSTOMER_TURNS = [
    "Hi, where is my order {n}? It was due on Monday.",
    "Can you tell me when the courier will come for order {n}?",
    "What are your opening hours on Saturday?",
    "How long does delivery to Lisbon usually take?",
    "I'd like to change the address on order {n}.",
    "Do you ship to the Canary Islands?",
]
AI_TURNS = [
    "Order {n} left our warehouse yesterday and should arrive within two days.",
    "We're open from 9 to 17 on Saturdays.",
    "Delivery usually takes three to five working days.",
    "I've noted the new address for order {n}.",
]
ASK_FOR_A_PERSON = "Can I talk to a real person, please?"


def customer_turn(n: int) -> str:
    return CUSTOMER_TURNS[n % len(CUSTOMER_TURNS)].format(n=1000 + n)


def ai_turn(n: int) -> str:
    return AI_TURNS[n % len(AI_TURNS)].format(n=1000 + n)


def policy_for_load() -> None:
    """Bench bots repeat a handful of questions; re-asks and held soft signals must not hand
    their conversations off (the triggers still score every turn)."""
    policy = TriggerPolicy.current()
    policy.reask_limit = policy.max_held_soft_signals = 10_000
    policy.save()


@dataclass(frozen=True)
class BenchBot:
    id: int
    key: str


def bot_make(name: str) -> BenchBot:
    bot, key = bot_create(name=name)
    return BenchBot(bot.pk, key)


def session_for(user: User) -> str:
    """A logged-in session for the user, as the login view would store it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key


@transaction.atomic
def agents_make(prefix: str, count: int, *, presence: str = "away") -> list[User]:
    users = User.objects.bulk_create(
        User(username=f"{prefix}-{i}", first_name=f"Agent {i}", password="!")  # noqa: S106 - unusable
        for i in range(count)
    )
    group, _ = Group.objects.get_or_create(name=AGENTS)
    group.user_set.add(*users)
    now = timezone.now()
    AgentProfile.objects.bulk_create(
        AgentProfile(user=u, presence=presence, last_seen_at=now, max_concurrent_cases=3)
        for u in users
    )
    return users


def presence_settled(users: list[User], *, quiet: float = 1.0, timeout: float = 120.0) -> float:
    """Seconds until the server has recorded the agents' sockets closing (each close writes
    the agent's last-seen time): until none of them has moved for `quiet` seconds."""
    start = time.monotonic()
    profiles = AgentProfile.objects.filter(user__in=users)
    while time.monotonic() - start < timeout:
        latest = profiles.aggregate(latest=Max("last_seen_at"))["latest"]
        if latest is None or timezone.now() - latest > timedelta(seconds=quiet):
            break
        time.sleep(0.2)
    return time.monotonic() - start


def session_cookies(users: list[User]) -> list[dict[str, str]]:
    return [{settings.SESSION_COOKIE_NAME: session_for(u)} for u in users]


@transaction.atomic
def conversations_make(
    bot_id: int, prefix: str, count: int, status: str = Conversation.Status.AI
) -> list[Conversation]:
    customers = Customer.objects.bulk_create(
        Customer(
            bot_id=bot_id,
            external_id=f"{prefix}-{i}",
            name=f"{prefix} customer {i}",
            is_verified=True,
            verification_method="login",
            verified_at=timezone.now(),
        )
        for i in range(count)
    )
    return Conversation.objects.bulk_create(
        Conversation(bot_id=bot_id, external_id=f"{prefix}-{i}", customer=c, status=status)
        for i, c in enumerate(customers)
    )


@transaction.atomic
def queue_fill(bot_id: int, prefix: str, count: int) -> list[Handoff]:
    """`count` queued handoffs, each with a short transcript, as escalations leave them."""
    conversations = conversations_make(bot_id, prefix, count, status=Conversation.Status.QUEUED)
    now = timezone.now()
    return Handoff.objects.bulk_create(
        Handoff(
            conversation=c,
            identity=c.customer.identity_snapshot(),
            summary=f"The customer asks where order {1000 + i} is.",
            reason="the customer asked for a person",
            triggers=[{"kind": "human_requested", "fired": True, "score": 1.0}],
            queued_at=now - timedelta(seconds=count - i),
        )
        for i, c in enumerate(conversations)
    )


@transaction.atomic
def case_make(bot_id: int, prefix: str, messages: int) -> Handoff:
    """A queued case whose transcript has `messages` lines."""
    (handoff,) = queue_fill(bot_id, prefix, 1)
    start = timezone.now() - timedelta(seconds=messages)
    Message.objects.bulk_create(
        Message(
            conversation_id=handoff.conversation_id,
            external_id=f"{prefix}-{i}",
            sender="customer" if i % 2 == 0 else "ai",
            text=customer_turn(i) if i % 2 == 0 else ai_turn(i),
            confidence=None if i % 2 == 0 else 0.9,
            sent_at=start + timedelta(seconds=i),
        )
        for i in range(messages)
    )
    return handoff


def queue_clear() -> None:
    """Close every queued handoff, so the next measurement starts from an empty queue."""
    now = timezone.now()
    with transaction.atomic():
        queued = Handoff.objects.filter(status=Handoff.Status.QUEUED)
        Conversation.objects.filter(handoffs__in=queued).update(status=Conversation.Status.RESOLVED)
        queued.update(status=Handoff.Status.RESOLVED, resolved_at=now, resolution="resolved")


SCALE_SQL = """
INSERT INTO escalation_customer
    (bot_id, external_id, name, email, phone, is_verified, verification_method, verified_at,
     created_at)
SELECT %(bot)s, 'scale-' || g, 'Customer ' || g, 'customer' || g || '@example.com', '', true,
       'login', now(), now()
FROM generate_series(1, %(conversations)s) AS g;

INSERT INTO escalation_conversation
    (bot_id, external_id, customer_id, channel, status, callback_url, held_soft_signals,
     created_at, updated_at)
SELECT bot_id, external_id, id, 'web', 'resolved', '', 0,
       now() - interval '30 days', now() - interval '29 days'
FROM escalation_customer WHERE bot_id = %(bot)s AND external_id LIKE 'scale-%%';

INSERT INTO escalation_message (conversation_id, external_id, sender, text, sent_at, created_at)
SELECT c.id, 'scale-' || i, CASE WHEN i %% 2 = 1 THEN 'customer' ELSE 'ai' END,
       CASE WHEN i %% 2 = 1 THEN 'Where is my order ' || c.id || '?'
            ELSE 'Order ' || c.id || ' is on its way.' END,
       c.created_at + i * interval '1 minute', c.created_at + i * interval '1 minute'
FROM escalation_conversation c CROSS JOIN generate_series(1, %(per_conversation)s) AS i
WHERE c.bot_id = %(bot)s AND c.external_id LIKE 'scale-%%';

INSERT INTO escalation_handoff
    (conversation_id, status, identity, summary, reason, actions, triggers, queued_at,
     claimed_at, resolved_at, resolution, resolution_note)
SELECT c.id, 'resolved', '{}'::jsonb, 'Where is order ' || c.id, '', '[]'::jsonb, '[]'::jsonb,
       c.created_at + interval '10 minutes', c.created_at + interval '12 minutes',
       c.created_at + interval '20 minutes', 'resolved', ''
FROM escalation_conversation c
WHERE c.bot_id = %(bot)s AND c.external_id LIKE 'scale-%%' AND c.id %% 5 = 0;
"""


def scale_build(*, bot_id: int, conversations: int, per_conversation: int) -> None:
    """The data-volume check's history (PostgreSQL): `conversations` resolved conversations of
    `per_conversation` messages each, a fifth of them handed off, inserted set-wise."""
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in SCALE_SQL.split(";\n\n"):
            cursor.execute(
                statement,
                {
                    "bot": bot_id,
                    "conversations": conversations,
                    "per_conversation": per_conversation,
                },
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
