import numpy as np
import pytest
from django.utils import timezone

from agents_console.models import AuditEvent, Note
from escalation.detectors import encoder
from escalation.handoff import handoff_claim
from escalation.models import AIAction, Customer, Handoff, Message
from escalation.redaction import secrets_mask
from surveys.links import survey_answer, survey_send
from tests.agents_console.conftest import logged_in
from tests.conftest import BotClient
from tests.support.factories import HandoffFactory, console_agent
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
        # Forms seen in real chats.
        ("4242.4242.4242.4242", MASKED_4242),
        ("card no. 4242.4242.4242.4242, exp 12.27", f"card no. {MASKED_4242}, exp 12.27"),
        ("it's 5555 5555 5555 4444.", "it's •••• •••• •••• 4444."),
        ("visa4111111111111111", "visa•••• •••• •••• 1111"),
        ("iban de89 3704 0044 0532 0130 00", "iban DE•• •••• •••• 3000"),
        ("nl91abna0417164300 pls", "NL•• •••• •••• 4300 pls"),
        ("IBAN: GB82 WEST 1234 5698 7654 32 cheers", "IBAN: GB•• •••• •••• 5432 cheers"),
        ("FR14 2004 1010 0505 0001 3M02 606 then ok", "FR•• •••• •••• 2606 then ok"),
        ("my pw is hunter2", "my pw is ••••••"),
        ("pwd=hunter2", "pwd=••••••"),
        ("the password for my account is Tr0ub4dor&3", "the password for my account is ••••••"),
        ("my password's hunter2", "my password's ••••••"),
        ("my password\u2019s hunter2", "my password\u2019s ••••••"),  # typographic
        ("my old PIN was 4821", "my old PIN was ••••••"),
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
        # Luhn-valid, but no card: an order number grouped 3-7-7 and one not of a card network,
        # a phone number (after "+"), and an IMEI-length reference starting with 1.
        "Order 302-4839201-1234564 arrived broken",
        "order 11248392011234564",
        "call +49 30 123456 78907",
        "+33 6 12 34 56 78",
        "06.12.34.56.78",
        "(415) 555-2671",
        "on 12.05.2024 at 10.30",
        "2024-05-12",
        "1.299,00 EUR or 12,345.67 USD",
        "version 4.2.4.2",
        "ab12 cdef ghij",  # shaped like an IBAN, not one
        "I forgot my password, is there a reset link?",
        "password reset please",
        "Is the pin code for the door broken?",
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


def test_a_masked_message_is_encoded_as_it_is_stored(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    body = {"external_id": "m1", "sender": "customer", "text": "Card 4242 4242 4242 4242 lost"}

    bot_client.post(f"/conversations/{conversation['id']}/messages", body)

    encoding = Message.objects.get(external_id="m1").encoding
    assert np.array_equal(encoding, encoder.encode(f"Card {MASKED_4242} lost"))
    assert not np.array_equal(encoding, encoder.encode(body["text"]))


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


def test_card_numbers_in_the_customer_name_and_phone_from_a_bot_are_masked(
    bot_client: BotClient,
) -> None:
    bot_client.open_conversation(
        customer={
            "external_id": "u-9",
            "name": "Ana 4242 4242 4242 4242",
            "phone": "4242424242424242",
        }
    )

    customer = Customer.objects.get(external_id="u-9")
    assert (customer.name, customer.phone) == (f"Ana {MASKED_4242}", MASKED_4242)


def test_a_phone_number_from_a_bot_stays(bot_client: BotClient) -> None:
    bot_client.open_conversation(customer={"external_id": "u-9", "phone": "+49 30 123456 78907"})

    assert Customer.objects.get(external_id="u-9").phone == "+49 30 123456 78907"


@pytest.fixture
def claimed_by_ana(db: None) -> tuple[Handoff, object]:
    agent = console_agent(username="ana")
    return handoff_claim(handoff=HandoffFactory(), agent=agent), agent


def test_card_numbers_in_an_agent_note_are_masked(claimed_by_ana: tuple[Handoff, object]) -> None:
    handoff, agent = claimed_by_ana
    logged_in(agent).post(
        f"/console/cases/{handoff.pk}/notes/", {"text": "card on file 4242.4242.4242.4242"}
    )

    assert Note.objects.get(handoff=handoff).text == f"card on file {MASKED_4242}"


def test_card_numbers_in_a_resolution_note_are_masked(
    claimed_by_ana: tuple[Handoff, object],
) -> None:
    handoff, agent = claimed_by_ana
    logged_in(agent).post(
        f"/console/cases/{handoff.pk}/resolve/",
        {"resolution": "resolved", "note": "refunded to 4242 4242 4242 4242"},
    )

    handoff.refresh_from_db()
    assert handoff.resolution_note == f"refunded to {MASKED_4242}"
    audit = AuditEvent.objects.filter(handoff=handoff, kind="resolved").get()
    assert "4242 4242" not in audit.detail


def test_a_password_in_a_hand_back_note_is_masked(claimed_by_ana: tuple[Handoff, object]) -> None:
    handoff, agent = claimed_by_ana
    logged_in(agent).post(
        f"/console/cases/{handoff.pk}/hand-back/", {"note": "they said my pw is hunter2"}
    )

    handoff.refresh_from_db()
    assert handoff.resolution_note == "they said my pw is ••••••"
    assert not Message.objects.filter(text__contains="hunter2").exists()
    assert not AuditEvent.objects.filter(detail__contains="hunter2").exists()
