"""The whole hand-off in the browser: a customer in the web chat, an agent in the console, the
survey and the supervisor's dashboard, each in its own browser context."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from escalation.models import Handoff
from surveys.links import survey_token_new
from surveys.models import Survey
from tests.browser.conftest import assert_accessible, screenshot
from tests.support.factories import HandoffFactory

pytestmark = pytest.mark.browser

DESCRIPTION = (
    "Hello, I ordered a birthday present for my daughter, order 1234, almost three weeks ago. "
    "The tracking page has said 'in transit' for ten days now and the party is on Friday. "
    "Where is my order 1234?"
)
CREDIT = "Friday is too late for the party. I would like a refund of 80 EUR for order 1234."
ASK_FOR_A_PERSON = "Can I speak to a real person, please?"
AGENT_REPLY = "Hi Maria, I'm Ana. I have refunded the 80 EUR for order 1234 to your card."
THANKS = "Thank you so much, that is perfect."
RESTATED = (
    "Order 1234, the birthday present for my daughter, still has not arrived after three weeks "
    "and the tracking says in transit; the party is on Friday."
)


def chat_say(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#thread .msg-customer").last).to_contain_text(text[:40])
    expect(box).to_have_value("")  # the fresh composer is in: the next message may be typed


def reload_until(page: Page, selector: str, text: str | re.Pattern[str]) -> None:
    """The dashboard is not live: reload until the figures the worker computes are in."""
    for _ in range(20):
        if re.search(text, page.locator(selector).inner_text()):
            return
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(selector)).to_contain_text(text)


def hand_off(customer: Page, agent: Page, *, answer: str, pictures: bool) -> Handoff:
    """The customer explains, the AI looks the order up and tries a credit over its limit, the
    customer asks for a person; the agent, already on the queue, claims the case, replies,
    reads the customer's answer and resolves it."""
    agent.goto("/console/")
    expect(agent.locator("#live-status")).to_have_text("Live")
    customer.goto("/chat/")
    chat_say(customer, DESCRIPTION)
    expect(customer.locator("#thread .msg-ai").last).to_contain_text("is delayed")
    chat_say(customer, CREDIT)
    expect(customer.locator("#chat-status")).to_contain_text("in the queue")
    chat_say(customer, ASK_FOR_A_PERSON)
    if pictures:
        screenshot(customer, "chat")
        assert_accessible(customer)

    row = agent.locator("#queue-rows li", has_text="Maria Gomez")
    expect(row).to_contain_text("out_of_scope")
    if pictures:
        screenshot(agent, "queue")
        assert_accessible(agent)
    row.get_by_role("button", name="Claim").click()

    expect(agent).to_have_url(re.compile(r"/console/cases/\d+/$"))
    expect(agent.locator("#case-status")).to_contain_text("with Ana Silva")
    expect(agent.locator(".customer-name")).to_contain_text("Maria Gomez")
    expect(agent.locator(".customer-name")).to_contain_text("verified")
    expect(agent.locator(".summary")).to_contain_text("refund of 80 EUR for order 1234")
    tried = agent.locator(".actions")
    expect(tried.locator(".action", has_text="lookup_order").first).to_contain_text("delayed")
    expect(tried.locator(".action", has_text="issue_credit")).to_contain_text("blocked")
    expect(tried.locator(".action", has_text="issue_credit")).to_contain_text("amount")
    transcript = agent.locator("#transcript")
    for text in (DESCRIPTION, "is delayed", CREDIT, ASK_FOR_A_PERSON):
        expect(transcript).to_contain_text(text)
    expect(customer.locator("#chat-status")).to_contain_text("Ana Silva from support is with you")

    agent.get_by_label(re.compile("^Reply to the customer")).fill(AGENT_REPLY)
    agent.get_by_role("button", name="Send").click()
    expect(transcript.locator(".from-agent")).to_contain_text(AGENT_REPLY)
    expect(customer.locator("#thread .msg-agent")).to_contain_text(AGENT_REPLY)
    chat_say(customer, answer)
    expect(transcript.locator(".from-customer").last).to_contain_text(answer)
    if pictures:
        agent.get_by_placeholder("Note for colleagues").fill("Refund approved over the AI's limit.")
        agent.get_by_role("button", name="Add note").click()
        expect(agent.locator("#notes")).to_contain_text("Refund approved")
        screenshot(agent, "case")
        assert_accessible(agent)

    agent.get_by_placeholder("Short closing note").fill("Refunded 80 EUR.")
    agent.get_by_role("button", name="Resolve").click()
    expect(agent.locator(".flash")).to_contain_text("closed")
    return Handoff.objects.get(conversation__customer__user__username="maria")


def test_handover_without_repeating(signed_in: Callable[..., Page], people: dict[str, Any]) -> None:
    customer = signed_in(people["maria"])
    agent = signed_in(people["ana"])
    handoff = hand_off(customer, agent, answer=THANKS, pictures=True)
    assert handoff.status == Handoff.Status.RESOLVED

    rating = customer.locator("#chat-rating")
    expect(rating).to_contain_text("Did the handover help?")
    expect(customer.locator("#thread .msg-system a[href*='/survey/']")).to_have_count(0)
    assert_accessible(customer)
    rating.get_by_role("button", name="Yes").click()
    expect(customer.locator("#chat-rating")).to_have_text("Thank you — your answer was recorded.")

    supervisor = signed_in(people["sam"])
    supervisor.goto("/console/metrics/")
    reload_until(supervisor, "#figure-help", "1 of 1 answers")
    expect(supervisor.locator("#figure-repeat")).to_contain_text("0 of 1 checked")
    screenshot(supervisor, "dashboard")
    assert_accessible(supervisor)


def test_the_emailed_link_opens_the_whole_survey(page: Page, server: str) -> None:
    handoff = HandoffFactory(status=Handoff.Status.RESOLVED, resolved_at=timezone.now())
    token = survey_token_new()
    survey = Survey.objects.create(
        handoff=handoff, sent_at=timezone.now(), token_hash=Survey.hash(token)
    )
    page.goto(server + reverse("survey", kwargs={"token": token}))
    expect(page.get_by_role("heading")).to_have_text("Did the handover help?")
    page.get_by_role("group", name="Did the handover help?").get_by_label("Yes").check()
    page.get_by_role("group", name="Did you have to repeat yourself?").get_by_label("No").check()
    page.get_by_role("group", name=re.compile("rate the help")).get_by_label("5").check()
    screenshot(page, "survey")
    assert_accessible(page)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading")).to_have_text("Thank you")
    survey.refresh_from_db()
    assert (survey.did_help, survey.had_to_repeat, survey.rating) == (True, False, 5)


def test_customer_repeating_themselves_is_counted(
    signed_in: Callable[..., Page], people: dict[str, Any]
) -> None:
    hand_off(signed_in(people["maria"]), signed_in(people["ana"]), answer=RESTATED, pictures=False)

    supervisor = signed_in(people["sam"])
    supervisor.goto("/console/metrics/")
    reload_until(supervisor, "#figure-repeat", "1 of 1 checked")
    supervisor.locator("#figure-repeat a.value").click()
    expect(supervisor.locator("main")).to_contain_text("Maria Gomez")
