"""The agent's workspace in the browser: two agents and a customer in one run (typing both
ways, the Claim button leaving the other agent's screen, a saved reply with its placeholders
filled, a kind of problem chosen and counted on the dashboard), a refused claim that keeps the
agent on the case, and the queue clock crossing its team's target."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from agents_console.models import SavedReply
from escalation.models import AgentProfile, Disposition, Handoff, Team
from tests.browser.conftest import assert_accessible, bot_handoff
from tests.browser.test_handover import ASK_FOR_A_PERSON, DESCRIPTION, chat_say
from tests.support.factories import HandoffFactory

pytestmark = pytest.mark.browser

SAVED = "Hi {first_name}, I'm {agent_name}. I'm looking at order {order_number} right now."


def test_two_agents_and_a_customer_work_one_case(
    signed_in: Callable[..., Page], people: dict[str, Any]
) -> None:
    SavedReply.objects.create(title="Looking into the order", text=SAVED)
    Disposition.objects.create(name="Late delivery")
    Disposition.objects.create(name="Billing")
    customer, ana, ben = (signed_in(people[name]) for name in ("maria", "ana", "ben"))

    customer.goto("/chat/")
    chat_say(customer, DESCRIPTION)
    expect(customer.locator("#thread .msg-ai").last).to_contain_text("is delayed")
    chat_say(customer, ASK_FOR_A_PERSON)
    expect(customer.locator("#chat-status")).to_contain_text("in the queue")
    handoff = Handoff.objects.get(conversation__customer__user__username="maria")

    for agent in (ana, ben):
        agent.goto(f"/console/cases/{handoff.pk}/")
        expect(agent.locator("#live-status")).to_have_text("Live")
        expect(agent.get_by_role("heading", level=1)).to_contain_text("Maria Gomez")
    expect(ana.locator("#viewers")).to_have_text("Also viewing: Ben Okafor")
    assert_accessible(ben)

    # Ana claims; the Claim button leaves Ben's screen without a reload.
    ana.get_by_role("button", name="Claim this case").click()
    expect(ana.locator("#reply-text")).to_be_visible()
    expect(ben.get_by_role("button", name="Claim this case")).to_have_count(0)
    expect(ben.locator("#case-controls")).to_contain_text("Read-only: Ana Silva is working")
    expect(ben.locator("#case-status")).to_contain_text("with Ana Silva")

    # The customer types: Ana sees it. Ana types: the customer and Ben see it.
    # Filling the message box a moment ago sent a typing signal; the chat and the server pass on
    # at most one every 2.5 s and 2 s, so the next keystrokes say nothing until that has passed.
    customer.wait_for_timeout(3000)
    customer.get_by_label("Your message").press_sequentially("I am still here", delay=30)
    expect(ana.locator("#customer-typing")).to_have_text("Maria is typing…")
    expect(ana.locator("#viewers")).to_have_text("Also viewing: Ben Okafor")
    reply = ana.locator("#reply-text")
    reply.fill("")
    reply.press_sequentially("One moment", delay=30)
    expect(customer.locator("#chat-typing")).to_have_text("Ana is typing…")
    expect(ben.locator("#agent-typing")).to_have_text("Ana Silva is replying…")
    expect(customer.locator("#chat-typing")).to_have_text("", timeout=10_000)  # it fades

    # A saved reply by keyboard: "/" opens the search, Enter inserts the first match filled.
    reply.fill("")
    reply.press("/")
    search = ana.get_by_label("Search saved replies")
    expect(search).to_be_focused()
    search.press_sequentially("looking")
    expect(ana.locator("#saved-reply-list .saved-reply")).to_have_count(1)
    search.press("Enter")
    filled = "Hi Maria, I'm Ana. I'm looking at order 1234 right now."
    expect(reply).to_have_value(filled)
    expect(reply).to_be_focused()
    assert_accessible(ana)
    reply.press("Control+Enter")
    expect(customer.locator("#thread .msg-agent")).to_contain_text(filled)

    # Resolving asks what kind of problem it was; the dashboard counts it.
    ana.get_by_label("Kind of problem").select_option(label="Late delivery")
    ana.get_by_placeholder("Short closing note").fill("Parcel located.")
    ana.get_by_role("button", name="Resolve").click()
    expect(ana.locator(".flash")).to_contain_text("closed")
    handoff.refresh_from_db()
    assert handoff.disposition is not None and handoff.disposition.name == "Late delivery"

    supervisor = signed_in(people["sam"])
    supervisor.goto("/console/metrics/")
    by_kind = supervisor.locator("table", has_text="By kind of problem")
    expect(by_kind.locator("tr", has_text="Late delivery")).to_contain_text("1")
    cross = supervisor.locator("table", has_text="By trigger and kind of problem")
    expect(cross.locator("tr", has_text="Late delivery")).to_contain_text("human_requested")
    today = timezone.localdate()
    expect(supervisor.locator("#id_end")).to_have_value(today.isoformat())
    assert_accessible(supervisor)


def test_a_refused_claim_keeps_the_agent_on_the_case_and_offers_a_take_over(
    signed_in: Callable[..., Page], people: dict[str, Any]
) -> None:
    handoff = HandoffFactory(conversation__customer__name="Tom Becker")
    ben = signed_in(people["ben"])
    # Ben's screen does not hear about Ana's claim: its socket is refused.
    ben.route_web_socket(re.compile(r"/ws/console/"), lambda ws: ws.close(code=1013))
    ben.goto(f"/console/cases/{handoff.pk}/")
    expect(ben.locator("#live-status")).to_have_text("Live updates paused — checking every 5 s")
    ana = signed_in(people["ana"])
    ana.goto(f"/console/cases/{handoff.pk}/")
    ana.get_by_role("button", name="Claim this case").click()
    expect(ana.locator("#reply-text")).to_be_visible()

    ben.get_by_role("button", name="Claim this case").click()
    expect(ben.locator("#case-notice .error")).to_have_text(
        "This case was already taken by Ana Silva."
    )
    expect(ben).to_have_url(re.compile(rf"/console/cases/{handoff.pk}/$"))
    assert_accessible(ben)

    ben.reload()
    ben.get_by_text("Take over this case").click()
    ben.get_by_role("button", name="Yes, take it over from Ana Silva").click()
    expect(ben.locator(".flash")).to_contain_text(f"You took case {handoff.pk} over.")
    expect(ben.locator("#reply-text")).to_be_visible()
    handoff.refresh_from_db()
    assert handoff.claimed_by == people["ben"]


def test_the_queue_clock_turns_amber_then_red_against_the_teams_target(
    signed_in: Callable[..., Page], people: dict[str, Any], bot_api: Any
) -> None:
    team = Team.objects.create(name="Express", slug="express", waiting_target_seconds=12)
    AgentProfile.objects.get(user=people["ana"]).teams.add(team)
    handoff = HandoffFactory(team=team, queued_at=timezone.now() - timedelta(seconds=1))
    page = signed_in(people["ana"])
    page.goto("/console/")
    expect(page.locator("#live-status")).to_have_text("Live")
    row = page.locator(f"#handoff-{handoff.pk}")
    expect(row).to_have_attribute("data-wait-state", "half", timeout=15_000)
    expect(row.locator(".wait")).to_have_css("background-color", "rgb(255, 244, 224)")
    expect(row).to_have_attribute("data-wait-state", "over", timeout=15_000)
    expect(row.locator(".wait")).to_have_css("background-color", "rgb(163, 25, 43)")
    assert_accessible(page)

    # Over target, live: a filtered queue takes in a new case once it is past its target.
    page.get_by_role("link", name=re.compile("^Over target")).click()
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(row).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Over target"))).to_contain_text("1")
    fresh = bot_handoff(bot_api, name="Lena Fischer", summary="Charged twice.")
    expect(page.get_by_role("link", name=re.compile("^All waiting"))).to_contain_text("2")
    expect(page.locator(f"#handoff-{fresh}")).to_be_hidden()
