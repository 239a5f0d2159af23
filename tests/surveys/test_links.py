from datetime import timedelta
from smtplib import SMTPServerDisconnected
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.signing import TimestampSigner
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from escalation.models import Handoff, Message
from surveys.links import survey_send
from surveys.models import Survey
from tests.surveys.conftest import resolved_case, survey_path

pytestmark = pytest.mark.django_db

ANSWER = {"did_help": "yes", "had_to_repeat": "no", "rating": "4", "comment": "Quick, thanks."}


@pytest.fixture
def handoff() -> Handoff:
    return resolved_case(before=["My parcel never arrived"], after=[], start=timezone.now())


def _link(survey: Survey) -> str:
    return survey_path(survey.handoff)


def test_sending_creates_a_survey_and_emails_the_link_in_text_and_html(handoff: Handoff) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [handoff.conversation.customer.email]
    assert _link(survey) in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert _link(survey) in str(html)


def test_sending_posts_the_link_into_the_chat(handoff: Handoff) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    last = handoff.conversation.messages.order_by("-id").first()
    assert last is not None
    assert last.sender == Message.Sender.SYSTEM
    assert _link(survey) in last.text


def test_sending_twice_makes_one_survey_and_one_email(handoff: Handoff) -> None:
    survey_send(handoff=handoff)
    assert survey_send(handoff=handoff) is None
    assert Survey.objects.filter(handoff=handoff).count() == 1
    assert len(mail.outbox) == 1


def test_customer_without_email_gets_the_link_only_in_the_chat(handoff: Handoff) -> None:
    customer = handoff.conversation.customer
    customer.email = ""
    customer.save()
    assert survey_send(handoff=handoff) is not None
    assert mail.outbox == []


def test_valid_link_shows_the_form_without_login(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    response = client.get(_link(survey))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<legend>Did the handover help?</legend>" in content
    assert "<legend>Did you have to repeat yourself?</legend>" in content


def test_answering_records_the_answers(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    response = client.post(_link(survey), ANSWER)
    assert response.status_code == 200
    survey.refresh_from_db()
    assert survey.answered_at is not None
    assert (survey.did_help, survey.had_to_repeat, survey.rating) == (True, False, 4)
    assert survey.comment == "Quick, thanks."


def test_incomplete_answer_is_shown_again_with_errors(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    response = client.post(_link(survey), {"did_help": "yes"})
    assert response.status_code == 400
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_used_link_is_refused_and_changes_nothing(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    client.post(_link(survey), ANSWER)
    response = client.post(_link(survey), ANSWER | {"did_help": "no", "rating": "1"})
    assert response.status_code == 410
    assert b"already been answered" in response.content
    survey.refresh_from_db()
    assert (survey.did_help, survey.rating) == (True, 4)


def test_tampered_link_is_refused(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    link = _link(survey)
    token = link.split("/")[2]
    forged = link.replace(token, token[:-1] + ("b" if token[-1] == "a" else "a"))
    response = client.post(forged, ANSWER)
    assert response.status_code == 400
    assert b"not valid" in response.content
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_link_signed_with_the_former_default_key_is_refused(
    handoff: Handoff, client: Client
) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    former_default = "django-insecure-handover-development-key-change-me"
    forged = TimestampSigner(key=former_default, salt="surveys.link").sign(str(survey.pk))
    response = client.post(f"/survey/{forged}/", ANSWER)
    assert response.status_code == 400
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_token_in_the_link_does_not_carry_the_survey_id(handoff: Handoff) -> None:
    Survey.objects.create(pk=918273, handoff=handoff, email="ana@example.com")
    survey = survey_send(handoff=handoff)
    assert survey is not None and survey.pk == 918273
    assert "918273" not in _link(survey)


def test_only_the_hash_of_the_token_is_stored(handoff: Handoff) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    token = _link(survey).split("/")[2]
    assert survey.token_hash == Survey.hash(token)
    assert token not in str(Survey.objects.filter(pk=survey.pk).values().get())


def test_each_survey_gets_a_token_of_its_own(handoff: Handoff) -> None:
    other = resolved_case(before=["Where is my refund?"], after=[], start=timezone.now())
    first, second = survey_send(handoff=handoff), survey_send(handoff=other)
    assert first is not None and second is not None
    assert _link(first) != _link(second)
    assert len(_link(first).split("/")[2]) >= 40


class FailingOnceBackend(EmailBackend):
    """An SMTP server that drops the first connection."""

    failed = False

    def send_messages(self, messages: Any) -> int:
        if not FailingOnceBackend.failed:
            FailingOnceBackend.failed = True
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_send_whose_email_failed_is_completed_by_the_next_run_with_a_working_link(
    handoff: Handoff, client: Client, settings: Settings
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FailingOnceBackend"
    with pytest.raises(SMTPServerDisconnected):
        survey_send(handoff=handoff)
    assert not handoff.conversation.messages.filter(text__contains="/survey/").exists()

    survey = survey_send(handoff=handoff)

    assert survey is not None and survey.sent_at is not None
    assert handoff.conversation.messages.filter(text__contains="/survey/").count() == 1
    assert len(mail.outbox) == 1
    assert _link(survey) in mail.outbox[0].body
    assert client.post(_link(survey), ANSWER).status_code == 200


def test_expired_link_is_refused_and_changes_nothing(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    link = _link(survey)
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        response = client.post(link, ANSWER)
    assert response.status_code == 410
    assert b"expired" in response.content
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_link_still_opens_just_before_it_expires(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    with time_machine.travel(timezone.now() + timedelta(days=13, hours=23)):
        assert client.get(_link(survey)).status_code == 200
