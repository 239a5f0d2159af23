"""The survey: created once per handoff, its signed single-use link sent by email and into the
chat, and answered once."""

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from escalation.consumers import CHANNEL as WEB_CHAT
from escalation.consumers import chat_on_handoff_changed
from escalation.conversations import message_add
from escalation.models import Handoff, Message
from escalation.redaction import secrets_mask
from surveys.models import Survey

SALT = "surveys.link"
CHAT_QUESTION = "We would like to know how the handover went: one tap below is enough."


def survey_token(*, survey: Survey) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(survey.pk))


def survey_url(*, survey: Survey) -> str:
    path = reverse("survey", kwargs={"token": survey_token(survey=survey)})
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
    """The survey a link opens, or why it does not: tampered, expired or already answered."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        pk = signer.unsign(token, max_age=timedelta(days=settings.SURVEY_MAX_AGE_DAYS))
    except signing.SignatureExpired:
        return LinkCheck(None, LinkProblem.EXPIRED)
    except signing.BadSignature:
        return LinkCheck(None, LinkProblem.TAMPERED)
    survey = Survey.objects.filter(pk=pk).select_related("handoff").first()
    if survey is None:
        return LinkCheck(None, LinkProblem.TAMPERED)
    if survey.is_answered:
        return LinkCheck(survey, LinkProblem.USED)
    return LinkCheck(survey, None)


def survey_send(*, handoff: Handoff) -> Survey | None:
    """Create the handoff's survey and send its link; None when it was already sent (a second
    run of the task changes nothing). A run that died after the survey was created and before
    the email went out is completed by the next one."""
    handoff = Handoff.objects.select_related("conversation__customer").get(pk=handoff.pk)
    if handoff.status != Handoff.Status.RESOLVED:
        return None
    email = handoff.conversation.customer.email
    in_web_chat = handoff.conversation.channel == WEB_CHAT
    try:
        with transaction.atomic():
            survey = Survey.objects.create(handoff=handoff, email=email)
            # The web chat asks with one tap (its status area); a bot's chat gets the link.
            message_add(
                conversation=handoff.conversation,
                sender=Message.Sender.SYSTEM,
                text=CHAT_QUESTION
                if in_web_chat
                else f"Did the handover help? Tell us in a minute: {survey_url(survey=survey)}",
            )
            if in_web_chat:
                chat_on_handoff_changed(handoff)
    except IntegrityError:
        survey = Survey.objects.get(handoff=handoff)
    if survey.sent_at is not None:
        return None
    link = survey_url(survey=survey)
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
    Survey.objects.filter(pk=survey.pk).update(sent_at=timezone.now())
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
