from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.models import Message, TriggerPolicy
from tests.conftest import BotClient
from tests.support.factories import TeamFactory


def post_message(bot_client: BotClient, conversation_id: int, **body: object) -> Any:
    payload = {"external_id": "m1", "sender": "customer", "text": "Where is my order 1234?"} | body
    return bot_client.post(f"/conversations/{conversation_id}/messages", payload)


def test_stores_the_message_and_answers_a_decision(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()

    response = post_message(bot_client, conversation["id"])

    assert response.status_code == 201
    data = response.json()
    assert data["message"]["sender"] == "customer"
    assert data["message"]["text"] == "Where is my order 1234?"
    assert set(data["decision"]) == {
        "escalate",
        "triggers",
        "handoff",
        "estimated_wait_seconds",
        "customer_notice",
        "held",
        "held_count",
    }
    assert data["decision"]["escalate"] is False
    assert Message.objects.filter(conversation_id=conversation["id"]).count() == 1


def test_ai_message_keeps_its_confidence(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    data = post_message(
        bot_client, conversation["id"], sender="ai", text="It ships tomorrow.", confidence=0.93
    ).json()
    assert data["message"]["confidence"] == 0.93


def test_retry_returns_the_first_result_and_one_row(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    first = post_message(bot_client, conversation["id"])
    second = post_message(bot_client, conversation["id"])
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [{"text": "something else"}, {"sender": "ai"}, {"confidence": 0.4}],
    ids=["text", "sender", "confidence"],
)
def test_reusing_an_external_id_for_another_turn_is_an_idempotency_conflict(
    bot_client: BotClient, change: dict[str, object]
) -> None:
    conversation = bot_client.open_conversation()
    post_message(bot_client, conversation["id"])

    response = post_message(bot_client, conversation["id"], **change)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert Message.objects.get().text == "Where is my order 1234?"


def test_confidence_out_of_range_is_422(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    response = post_message(bot_client, conversation["id"], sender="ai", confidence=1.5)
    assert response.status_code == 422
    assert "confidence" in response.json()["error"]["message"]


def test_unknown_sender_is_422(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    assert post_message(bot_client, conversation["id"], sender="agent").status_code == 422


def test_empty_text_is_422(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    assert post_message(bot_client, conversation["id"], text="").status_code == 422
    assert not Message.objects.exists()


def test_ai_may_not_speak_once_handed_off(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    bot_client.post(f"/conversations/{conversation['id']}/handoff", {"external_id": "h1"})
    response = post_message(bot_client, conversation["id"], sender="ai", text="I can help!")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "with_human"
    customer = post_message(bot_client, conversation["id"], external_id="m2", text="Hello?")
    assert customer.status_code == 201
    assert customer.json()["decision"]["escalate"] is True


def test_an_ai_turn_retried_after_the_handoff_answers_the_stored_one(
    bot_client: BotClient,
) -> None:
    conversation = bot_client.open_conversation()
    body = {"external_id": "a1", "sender": "ai", "text": "It ships tomorrow.", "confidence": 0.9}
    first = post_message(bot_client, conversation["id"], **body)
    bot_client.post(f"/conversations/{conversation['id']}/handoff", {"external_id": "h1"})

    retry = post_message(bot_client, conversation["id"], **body)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert Message.objects.filter(external_id="a1").count() == 1


def test_html_is_stored_as_text(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    text = "<script>alert(1)</script>"
    data = post_message(bot_client, conversation["id"], text=text).json()
    assert data["message"]["text"] == text


def test_any_time_zone_is_stored_as_the_same_moment(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]

    response = post_message(bot_client, cid, sent_at="2026-11-29T01:00:00-21:16")

    assert response.status_code == 201, response.content
    stored = Message.objects.get().sent_at
    assert stored.isoformat() == "2026-11-29T22:16:00+00:00"


def test_a_timestamp_before_2000_is_422(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]

    response = post_message(bot_client, cid, sent_at="0079-05-07T15:22:48Z")

    assert response.status_code == 422
    assert "2000" in response.json()["error"]["message"]
    assert not Message.objects.exists()


def test_a_timestamp_past_the_last_utc_year_is_422(bot_client: BotClient) -> None:
    """In UTC this moment is in the year 10000, past what a datetime can hold."""
    cid = bot_client.open_conversation()["id"]

    response = post_message(bot_client, cid, sent_at="9999-12-31T23:59:59-23:59")

    assert response.status_code == 422
    assert "sent_at" in response.json()["error"]["message"]
    assert not Message.objects.exists()


def test_a_timestamp_given_as_a_number_is_422(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]

    response = post_message(bot_client, cid, sent_at=1764400000)

    assert response.status_code == 422
    assert not Message.objects.exists()


@pytest.mark.parametrize("confidence", [False, True, "0.9"])
def test_confidence_must_be_a_json_number(bot_client: BotClient, confidence: object) -> None:
    cid = bot_client.open_conversation()["id"]

    response = post_message(bot_client, cid, sender="ai", confidence=confidence)

    assert response.status_code == 422
    assert "confidence" in response.json()["error"]["message"]
    assert not Message.objects.exists()


@pytest.mark.parametrize("conversation_id", [2**63, 2**64, "seven"])
def test_a_conversation_id_that_cannot_exist_is_404(
    bot_client: BotClient, conversation_id: object
) -> None:
    bot_client.open_conversation()

    response = bot_client.post(
        f"/conversations/{conversation_id}/messages",
        {"external_id": "m1", "sender": "customer", "text": "Hello"},
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Message.objects.exists()


def test_text_with_half_a_surrogate_pair_is_400(bot_client: BotClient) -> None:
    """JSON can escape a lone surrogate, which is no character: no database can store it."""
    cid = bot_client.open_conversation()["id"]
    body = '{"external_id": "m1", "sender": "customer", "text": "broken \\udc00 text"}'

    response = bot_client.post(f"/conversations/{cid}/messages", body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert not Message.objects.exists()


def test_text_with_an_escaped_surrogate_pair_is_stored(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    body = '{"external_id": "m1", "sender": "customer", "text": "thanks \\ud83d\\ude00"}'

    response = bot_client.post(f"/conversations/{cid}/messages", body)

    assert response.status_code == 201
    assert Message.objects.get().text == "thanks \U0001f600"


def test_a_turn_runs_a_fixed_number_of_queries(
    bot_client: BotClient, django_assert_num_queries: Any
) -> None:
    """The conversation (read once, under its lock), the recent turns, and the turn inserted
    with its decision; a retry is found by the unique constraint, not looked for first; the
    key and its bot, the policy and the capacity estimate come from the cache (the first turn
    filled it). SAVEPOINT and RELEASE are the turn's transaction inside the test's."""
    conversation = bot_client.open_conversation()
    post_message(bot_client, conversation["id"], external_id="m0")

    with django_assert_num_queries(5):
        response = post_message(bot_client, conversation["id"], external_id="m1")

    assert response.status_code == 201


def test_a_turn_in_a_conversation_that_never_had_a_case_looks_for_no_case_screen(
    bot_client: BotClient, django_capture_on_commit_callbacks: Any
) -> None:
    conversation = bot_client.open_conversation()

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        post_message(bot_client, conversation["id"], external_id="m1")

    assert callbacks  # the broadcast ran
    assert not [q for q in queries.captured_queries if "caseviewer" in q["sql"]]


def test_a_policy_change_applies_to_the_next_turn(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()

    def threshold(external_id: str) -> float:
        body = {"external_id": external_id, "sender": "ai", "text": "Hi", "confidence": 0.99}
        decision = post_message(bot_client, conversation["id"], **body).json()["decision"]
        return float(decision["triggers"][0]["threshold"])

    before = threshold("a1")
    policy = TriggerPolicy.current()
    policy.low_confidence_threshold += 0.2
    policy.save()

    assert threshold("a2") == pytest.approx(before + 0.2)


def test_an_escalating_turn_runs_a_fixed_number_of_queries(
    bot_client: BotClient, django_assert_num_queries: Any
) -> None:
    """The turn as above (its customer read with the conversation), scored once; then the
    AI's actions, read once for the routing, the summary and the snapshot; routed once (the
    rules and the default team come from the cache: an earlier handoff filled it); one
    estimate of the routed team's capacity (its agents' load, its queue) for both the notice
    and the wait; the handoff, the conversation queued, its line in the transcript, and the
    decision kept with the turn: in the turn's transaction, under its lock. The summary
    quotes the customer's turns as the scoring read them; a conversation that never had a
    case has no hand-back note to look for; the bot (its webhook) is the request's."""
    earlier = bot_client.open_conversation("c-0")
    post_message(bot_client, earlier["id"], text="Can I talk to a real person, please?")
    conversation = bot_client.open_conversation()
    post_message(bot_client, conversation["id"], external_id="m0")

    with django_assert_num_queries(12):
        response = post_message(
            bot_client,
            conversation["id"],
            external_id="m1",
            text="Can I talk to a real person, please?",
        )

    assert response.json()["decision"]["escalate"] is True


def test_the_first_escalation_after_a_routing_change_reads_the_rules(
    bot_client: BotClient, django_assert_num_queries: Any
) -> None:
    """As above, with the routing's cache just dropped (a rule or a team was saved): the rules
    and the default team are read, two queries more."""
    conversation = bot_client.open_conversation()
    post_message(bot_client, conversation["id"], external_id="m0")
    TeamFactory()  # saving a team drops the routing's cache

    with django_assert_num_queries(14):
        response = post_message(
            bot_client,
            conversation["id"],
            external_id="m1",
            text="Can I talk to a real person, please?",
        )

    assert response.json()["decision"]["escalate"] is True


def test_an_escalating_turn_is_scored_once(bot_client: BotClient, monkeypatch: Any) -> None:
    from escalation.detectors import human_request

    detect = human_request.detect_human_request
    calls: list[str] = []

    def counted(text: str, vector: Any = None) -> Any:
        calls.append(text)
        return detect(text, vector)

    monkeypatch.setattr(human_request, "detect_human_request", counted)
    conversation = bot_client.open_conversation()

    response = post_message(bot_client, conversation["id"], text="Can I talk to a person?")

    assert response.json()["decision"]["escalate"] is True
    assert calls == ["Can I talk to a person?"]


def test_an_escalating_turns_summary_is_the_one_its_stored_transcript_gives(
    bot_client: BotClient,
) -> None:
    """The summary quotes the customer's turns as the scoring read them (secrets masked as
    stored), the same summary a fresh read of the transcript writes."""
    from escalation.models import Conversation, Handoff
    from escalation.summary import summary_write

    cid = bot_client.open_conversation()["id"]
    post_message(bot_client, cid, external_id="m0", text="My card 4111 1111 1111 1111 failed")
    post_message(bot_client, cid, external_id="m1", sender="ai", text="Sorry!", confidence=0.9)
    post_message(bot_client, cid, external_id="m2", text="Can I talk to a real person, please?")

    handoff = Handoff.objects.get(conversation_id=cid)
    assert "4111 1111" not in handoff.summary
    assert handoff.summary == summary_write(conversation=Conversation.objects.get(pk=cid))


def test_an_escalation_after_a_hand_back_keeps_the_agents_note(bot_client: BotClient) -> None:
    from escalation.handoff import handoff_claim, handoff_hand_back
    from escalation.models import Handoff
    from tests.support.factories import agent_user

    cid = bot_client.open_conversation()["id"]
    post_message(bot_client, cid, external_id="m0", text="Can I talk to a real person, please?")
    agent = agent_user()
    first = handoff_claim(handoff=Handoff.objects.get(conversation_id=cid), agent=agent)
    handoff_hand_back(handoff=first, agent=agent, note="Refund already issued.")

    post_message(bot_client, cid, external_id="m1", text="I want to talk to a human agent now")

    second = Handoff.objects.filter(conversation_id=cid).latest("pk")
    assert second.pk != first.pk
    assert "(Handed back earlier with: Refund already issued.)" in second.summary
