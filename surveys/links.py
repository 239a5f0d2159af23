"""The survey: created once per handoff, its single-use link sent by email and into the chat,
and answered once. The link carries a random token of its own, of which only the hash is kept:
it names no survey, and nobody who has not been sent it can make one up."""

import string
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from escalation.models import Handoff, Message
from escalation.redaction import secrets_mask
from escalation.transcript import message_add
from escalation.webchat.consumer import CHANNEL as WEB_CHAT
from escalation.webchat.consumer import chat_on_handoff_changed
from surveys.models import Survey

CHAT_QUESTION = "We would like to know how the handover went: one tap below is enough."


def survey_token_new() -> str:
    """A fresh token: 43 letters (245 bits). Letters only, because the chat line is masked like
    every message, and digits in it could read as a card number or an IBAN."""
    return get_random_string(43, allowed_chars=string.ascii_letters)


def survey_url(*, token: str) -> str:
    path = reverse("survey", kwargs={"token": token})
    return settings.SITE_URL.rstrip("/") + path


class LinkProblem(Enum):
    TAMPERED = "tampered"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class LinkCheck:
    survey: Survey | None
    problem: LinkProblem | None


def survey_from_token(*, token: str) -> LinkCheck:
    """The survey a link opens, or why it does not: unknown, expired or already answered."""
    survey = Survey.objects.filter(token_hash=Survey.hash(token)).select_related("handoff").first()
    if survey is None or survey.sent_at is None:
        return LinkCheck(None, LinkProblem.TAMPERED)
    if timezone.now() > survey.sent_at + timedelta(days=settings.SURVEY_MAX_AGE_DAYS):
        return LinkCheck(None, LinkProblem.EXPIRED)
    if survey.is_answered:
        return LinkCheck(survey, LinkProblem.USED)
    return LinkCheck(survey, None)


def survey_send(*, handoff: Handoff) -> Survey | None:
    """Create the handoff's survey and send its link, by email and into the chat; None when it
    was already sent (a second run of the task changes nothing). The link's token is stored,
    hashed, with the chat line once the email has gone: a run that died or whose email failed
    before that leaves the survey unsent, and the next run sends it with a new token."""
    handoff = Handoff.objects.select_related("conversation__customer").get(pk=handoff.pk)
    if handoff.status != Handoff.Status.RESOLVED:
        return None
    email = handoff.conversation.customer.email
    survey, _ = Survey.objects.get_or_create(handoff=handoff, defaults={"email": email})
    if survey.sent_at is not None:
        return None
    token = survey_token_new()
    link = survey_url(token=token)
    if email:
        context = {
            "name": handoff.conversation.customer.name,
            "link": link,
            "max_age_days": settings.SURVEY_MAX_AGE_DAYS,
        }
        mail = EmailMultiAlternatives(
            subject="Did the handover help?",
            body=render_to_string("surveys/survey_email.txt", context),
            to=[email],
        )
        mail.attach_alternative(render_to_string("surveys/survey_email.html", context), "text/html")
        mail.send()
    with transaction.atomic():
        sent = Survey.objects.filter(pk=survey.pk, sent_at__isnull=True).update(
            sent_at=timezone.now(), token_hash=Survey.hash(token)
        )
        if not sent:
            return None  # another run sent it meanwhile
        # The web chat asks with one tap (its status area); a bot's chat gets the link.
        in_web_chat = handoff.conversation.channel == WEB_CHAT
        message_add(
            conversation=handoff.conversation,
            sender=Message.Sender.SYSTEM,
            text=CHAT_QUESTION
            if in_web_chat
            else f"Did the handover help? Tell us in a minute: {link}",
        )
        if in_web_chat:
            chat_on_handoff_changed(handoff)
    survey.refresh_from_db()
    return survey


def survey_answer(
    *,
    survey: Survey,
    did_help: bool,
    had_to_repeat: bool | None = None,
    rating: int | None = None,
    comment: str = "",
) -> bool:
    """Record the answer once: the conditional UPDATE lets only the first submission count.
    The one-tap answer in the chat gives only `did_help`."""
    return bool(
        Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            answered_at=timezone.now(),
            did_help=did_help,
            had_to_repeat=had_to_repeat,
            rating=rating,
            comment=secrets_mask(comment),
        )
    )
