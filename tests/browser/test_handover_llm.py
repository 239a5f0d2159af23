"""The seed's story once with the built-in chat on a model: the live server's assistant talks
to a local server speaking the OpenAI wire format, which plays the model."""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_handover import chat_say
from tests.support.openai_server import (
    Answer,
    ScriptedModel,
    calling,
    completion,
    model_serve,
    reply,
)
from tests.support.openai_server import tool_call as call

pytestmark = pytest.mark.browser

LOST = (
    "Hello, my parcel for order 5521 never arrived. I ordered a birthday present for my "
    "daughter and I have been waiting two weeks now; the tracking has not moved since."
)
REFUND = "I don't want a replacement any more. Please refund the 120 EUR to my card."
WRITTEN = (
    "Lost parcel: order 5521 never arrived, the customer has waited two weeks. They no longer "
    "want a replacement and ask for a refund of 120 EUR to their card. Lookup of 5521: lost in "
    "transit. Credit of 120 EUR blocked (limit 50 EUR). Open: the refund to the card."
)


def the_shop_model(request: dict[str, Any]) -> Answer:
    """Looks the order up before acting on it, asks for the credit the customer wants, and
    writes the handover when asked."""
    if "tools" not in request:
        return completion(WRITTEN)
    messages = request["messages"]
    said = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    last = messages[-1]
    if last["role"] == "user":
        return calling(call("lookup_order", {"order": "5521"}))
    found = json.loads(last["content"])
    if "refund" in said.lower() and found["outcome"] == "succeeded":
        return calling(call("issue_credit", {"amount": 120, "currency": "EUR"}, "call_2"))
    return reply(
        "I'm so sorry: order 5521 has been marked lost in transit by the carrier. I can send a "
        "replacement or refund you.",
        0.9,
    )


@pytest.fixture
def shop_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedModel]:
    """The model the live server's processes are configured with (read from the environment
    they inherit)."""
    with model_serve() as model:
        model.responder = the_shop_model
        monkeypatch.setenv("LLM_BASE_URL", model.base_url)
        monkeypatch.setenv("LLM_MODEL", "shop-model")
        yield model


def test_the_model_answers_tries_its_tools_and_writes_the_handover(
    shop_model: ScriptedModel, signed_in: Callable[..., Page], people: dict[str, Any]
) -> None:
    customer = signed_in(people["maria"])
    agent = signed_in(people["ana"])
    agent.goto("/console/")
    expect(agent.locator("#live-status")).to_have_text("Live")
    customer.goto("/chat/")
    chat_say(customer, LOST)
    expect(customer.locator("#thread .msg-ai").last).to_contain_text("lost in transit")
    chat_say(customer, REFUND)
    expect(customer.locator("#chat-status")).to_contain_text("in the queue")
    expect(customer.locator("#thread .msg-ai")).to_have_count(1)  # no "refunded!" from the AI

    row = agent.locator("#queue-rows li", has_text="Maria Gomez")
    expect(row).to_contain_text("out_of_scope")
    row.get_by_role("button", name="Claim").click()
    expect(agent).to_have_url(re.compile(r"/console/cases/\d+/$"))

    summary = agent.locator("#case-summary")
    expect(summary).to_contain_text(WRITTEN)  # the model's, swapped in for the fallback
    tried = agent.locator(".actions")
    lookup = tried.locator(".action", has_text="lookup_order").first
    expect(lookup).to_contain_text("lost in transit")
    credit = tried.locator(".action", has_text="issue_credit")
    expect(credit).to_contain_text("blocked")
    expect(credit).to_contain_text("issue_credit.amount ≤ 50")
    opening = agent.get_by_label(re.compile("^Reply to the customer"))
    expect(opening).to_have_value(
        re.compile("your messages about “Hello, my parcel for order 5521")
    )
    screenshot(agent, "case_llm")
    assert_accessible(agent)
    assert any("tools" not in request for request in shop_model.requests)
