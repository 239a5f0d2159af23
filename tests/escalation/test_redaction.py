import pytest
from django.utils import timezone

from escalation.models import AIAction, Message
from escalation.redaction import secrets_mask
from surveys.links import survey_answer, survey_send
from tests.conftest import BotClient
from tests.surveys.conftest import resolved_case

MASKED_4242 = "•••• •••• •••• 4242"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("card 4242 4242 4242 4242 ok", f"card {MASKED_4242} ok"),
        ("4242-4242-4242-4242", MASKED_4242),
        ("4242424242424242, exp 12/27", f"{MASKED_4242}, exp 12/27"),
        ("4242 4242 4242 4242 123", f"{MASKED_4242} 123"),  # the code typed straight after
        ("amex 3782 822463 10005", "amex •••• •••• •••• 0005"),
        ("the cvv is 123", "the cvv is •••"),
        ("CVC: 4567", "CVC: •••"),
        ("IBAN DE89 3704 0044 0532 0130 00 thanks", "IBAN DE•• •••• •••• 3000 thanks"),
        ("my password is hunter2", "my password is ••••••"),
        ("PIN: 9876", "PIN: ••••••"),
    ],
)
def test_secrets_are_masked(typed: str, stored: str) -> None:
    assert secrets_mask(typed) == stored


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order 1234?",
        "Orders 1042 and 5521, 80 EUR",
        "call me on +44 20 7946 0958",
        "+1 415 555 2671",
        "1234 5678 9012 3456",  # 16 digits, not a card number (Luhn)
        "IBAN DE00 3704 0044 0532 0130 00",  # wrong checksum
        "3.14159265358979323846",
        "ref 12345678901234",
    ],
)
def test_order_phone_and_other_numbers_stay(text: str) -> None:
    assert secrets_mask(text) == text


def test_a_long_run_of_digits_is_scanned_quickly() -> None:
    text = "1 " * 10_000
    assert secrets_mask(text) == text


def test_card_numbers_are_masked_before_the_message_is_stored(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    body = {"external_id": "m1", "sender": "customer", "text": "Card 4242 4242 4242 4242"}

    response = bot_client.post(f"/conversations/{conversation['id']}/messages", body)
    retry = bot_client.post(f"/conversations/{conversation['id']}/messages", body)

    assert response.status_code == 201
    assert response.json()["message"]["text"] == f"Card {MASKED_4242}"
    assert Message.objects.get(external_id="m1").text == f"Card {MASKED_4242}"
    assert retry.status_code == 200  # the retry is the same message, not a conflict


def test_card_numbers_in_action_params_are_masked(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    body = {
        "external_id": "a1",
        "name": "charge",
        "params": {"card": {"number": "4242424242424242"}, "raw": 4242424242424242, "qty": 2},
        "detail": "charged 4242 4242 4242 4242",
    }
    bot_client.post(f"/conversations/{conversation['id']}/actions", body)

    action = AIAction.objects.get(external_id="a1")
    assert action.params == {"card": {"number": MASKED_4242}, "raw": MASKED_4242, "qty": 2}
    assert action.detail == f"charged {MASKED_4242}"


def test_card_numbers_in_a_handoff_reason_are_masked(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    response = bot_client.post(
        f"/conversations/{conversation['id']}/handoff",
        {"external_id": "h1", "reason": "card 4242 4242 4242 4242 declined"},
    )
    assert response.json()["reason"] == f"card {MASKED_4242} declined"
    system = Message.objects.filter(sender=Message.Sender.SYSTEM).last()
    assert system is not None
    assert "4242 4242" not in system.text


def test_card_numbers_in_a_survey_comment_are_masked(db: None) -> None:
    handoff = resolved_case(before=["Where is my parcel?"], after=[], start=timezone.now())
    survey = survey_send(handoff=handoff)
    assert survey is not None

    survey_answer(
        survey=survey, did_help=True, had_to_repeat=False, rating=5, comment="4242424242424242"
    )

    survey.refresh_from_db()
    assert survey.comment == MASKED_4242
