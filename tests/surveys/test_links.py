from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.signing import TimestampSigner
from django.test import Client
from django.utils import timezone

from escalation.models import Handoff, Message
from surveys.links import SALT, survey_send, survey_token
from surveys.models import Survey
from tests.surveys.conftest import resolved_case

pytestmark = pytest.mark.django_db

ANSWER = {"did_help": "yes", "had_to_repeat": "no", "rating": "4", "comment": "Quick, thanks."}


@pytest.fixture
def handoff() -> Handoff:
    return resolved_case(before=["My parcel never arrived"], after=[], start=timezone.now())


def _link(survey: Survey) -> str:
    return f"/survey/{survey_token(survey=survey)}/"


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
    other_pk = str(survey.pk + 1)
    forged = survey_token(survey=survey).replace(str(survey.pk), other_pk, 1)
    response = client.post(f"/survey/{forged}/", ANSWER)
    assert response.status_code == 400
    assert b"not valid" in response.content


def test_link_signed_for_another_purpose_is_refused(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    token = TimestampSigner(salt="something-else").sign(str(survey.pk))
    assert client.get(f"/survey/{token}/").status_code == 400
    assert SALT != "something-else"


def test_expired_link_is_refused_and_changes_nothing(handoff: Handoff, client: Client) -> None:
    survey = survey_send(handoff=handoff)
    assert survey is not None
    link = _link(survey)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        response = client.post(link, ANSWER)
    assert response.status_code == 410
    assert b"expired" in response.content
    survey.refresh_from_db()
    assert survey.answered_at is None
