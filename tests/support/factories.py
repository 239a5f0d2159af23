import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from escalation.bots import api_key_issue
from escalation.models import (
    AgentProfile,
    AIAction,
    Bot,
    Conversation,
    Customer,
    Handoff,
    Message,
    Team,
)


class BotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bot

    name = factory.Sequence(lambda n: f"bot-{n}")


def bot_with_key(**kwargs: object) -> tuple[Bot, str]:
    bot = BotFactory(**kwargs)
    return bot, api_key_issue(bot=bot)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    bot = factory.SubFactory(BotFactory)
    external_id = factory.Sequence(lambda n: f"cust-{n}")
    name = "Ana Customer"
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    is_verified = True
    verification_method = "login"
    verified_at = factory.LazyFunction(timezone.now)


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    bot = factory.SubFactory(BotFactory)
    customer = factory.SubFactory(CustomerFactory, bot=factory.SelfAttribute("..bot"))
    external_id = factory.Sequence(lambda n: f"conv-{n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    sender = Message.Sender.CUSTOMER
    text = "Where is my order?"
    sent_at = factory.LazyFunction(timezone.now)


class AIActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIAction

    conversation = factory.SubFactory(ConversationFactory)
    external_id = factory.Sequence(lambda n: f"act-{n}")
    name = "lookup_order"
    params = factory.LazyFunction(lambda: {"order": "1234"})
    outcome = AIAction.Outcome.SUCCEEDED


class HandoffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Handoff

    conversation = factory.SubFactory(ConversationFactory, status=Conversation.Status.QUEUED)
    identity = factory.LazyAttribute(lambda o: o.conversation.customer.identity_snapshot())
    summary = "The customer wants to know where order 1234 is."
    queued_at = factory.LazyFunction(timezone.now)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Ana"
    password = factory.PostGenerationMethodCall("set_password", "pw")


def agent_user(**kwargs: object) -> User:
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get_or_create(name="agents")[0])
    return user


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


def console_agent(
    *,
    presence: str = "available",
    max_cases: int = 3,
    teams: tuple[Team, ...] = (),
    **kwargs: object,
) -> User:
    """An agent with a profile, as the console sees them."""
    user = agent_user(**kwargs)
    profile = AgentProfile.objects.create(
        user=user,
        presence=presence,
        max_concurrent_cases=max_cases,
        last_seen_at=timezone.now(),
    )
    profile.teams.set(teams)
    return user


def supervisor_user(**kwargs: object) -> User:
    user = console_agent(**kwargs)
    user.groups.add(Group.objects.get_or_create(name="supervisors")[0])
    return user
