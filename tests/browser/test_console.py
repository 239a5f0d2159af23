"""The agent console in the browser: the claim race, new-handoff notifications, the polling
fallback when the socket is down, and keyboard use of the case screen."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, WebSocketRoute, expect

from escalation.models import Handoff
from tests.browser.conftest import assert_accessible, bot_handoff
from tests.support.factories import HandoffFactory

pytestmark = pytest.mark.browser

# Records every Notification the page creates and every sound it starts, then lets the real
# ones run.
RECORD_ALERTS = """
window.shownNotifications = [];
window.soundsPlayed = 0;
// The tab counts as hidden (as behind another window) while window.tabHidden is true.
window.tabHidden = false;
Object.defineProperty(document, "visibilityState", {
  get: () => (window.tabHidden ? "hidden" : "visible"),
});
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.shownNotifications.push({ title: title, body: options && options.body });
    window.lastNotification = this;
  }
};
const realStart = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.soundsPlayed += 1;
  return realStart.apply(this, args);
};
"""


def test_a_second_agent_racing_for_the_case_loses_cleanly(
    signed_in: Callable[..., Page], people: dict[str, Any]
) -> None:
    handoff = HandoffFactory(conversation__customer__name="Tom Becker")
    ana, ben = signed_in(people["ana"]), signed_in(people["ben"])
    ana.goto("/console/")
    ben.goto(f"/console/cases/{handoff.pk}/")  # Ben is reading the case, Ana the queue
    for page in (ana, ben):
        expect(page.locator("#live-status")).to_have_text("Live")
    # Both click at once: neither click waits for the other's answer. The buttons are found
    # first, since the winner's claim takes the Claim button off the other screen live.
    buttons = (
        ana.locator(f"#handoff-{handoff.pk} button").element_handle(),
        ben.get_by_role("button", name="Claim this case").element_handle(),
    )
    for button in buttons:
        button.evaluate("button => button.click()")
    # Ben, on the case, hears his claim refused or sees the button leave as Ana wins (or both,
    # when her claim's broadcast and his refusal both arrive).
    outcome = "#reply-text, #notice .error, #case-notice .error, #case-controls .holder"
    for page in (ana, ben):
        expect(page.locator(outcome).first).to_be_visible()

    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED
    winner, loser = (ana, ben) if handoff.claimed_by == people["ana"] else (ben, ana)
    expect(winner).to_have_url(re.compile(rf"/console/cases/{handoff.pk}/$"))
    expect(winner.locator("#case-status")).to_contain_text("with ")
    expect(loser.locator("#reply-text")).to_have_count(0)
    if loser is ana:
        expect(ana.locator("#notice .error")).to_have_text(
            "This case was already taken by Ben Okafor."
        )
    else:
        expect(ben.locator("#case-notice .error, #case-controls .holder").first).to_contain_text(
            "Ana Silva"
        )
    expect(loser.locator(f"#handoff-{handoff.pk}")).to_have_count(0)


def queue_watched_by(signed_in: Callable[..., Page], agent: Any) -> Page:
    page = signed_in(agent, permissions=["notifications"])
    page.add_init_script(RECORD_ALERTS)
    page.goto("/console/")
    expect(page.locator("#live-status")).to_have_text("Live")
    return page


def test_a_new_handoff_notifies_available_agents_with_a_sound(
    signed_in: Callable[..., Page], people: dict[str, Any], bot_api: APIRequestContext
) -> None:
    page = queue_watched_by(signed_in, people["ana"])
    page.evaluate("window.tabHidden = true")
    handoff_id = bot_handoff(bot_api, name="Lena Fischer", summary="Charged twice.")
    expect(page.locator(f"#handoff-{handoff_id}")).to_contain_text("Lena Fischer")
    notifications = page.evaluate("window.shownNotifications")
    assert notifications == [{"title": "New handoff waiting", "body": "Lena Fischer"}]
    assert page.evaluate("window.soundsPlayed") == 1


@pytest.mark.parametrize("who, screen", [("ana", "case"), ("sam", "metrics")])
def test_off_the_queue_in_a_hidden_tab_an_agent_is_notified_of_a_new_handoff(
    signed_in: Callable[..., Page],
    people: dict[str, Any],
    bot_api: APIRequestContext,
    who: str,
    screen: str,
) -> None:
    """On a case, or (a supervisor) on the metrics: the nav's line, the sound, and the
    notification, which opens the new case."""
    if screen == "case":
        path = f"/console/cases/{HandoffFactory(conversation__customer__name='Tom Becker').pk}/"
    else:
        path = "/console/metrics/"
    page = signed_in(people[who], permissions=["notifications"])
    page.add_init_script(RECORD_ALERTS)
    page.goto(path)
    expect(page.locator("#live-status")).to_have_text("Live")
    page.evaluate("window.tabHidden = true")

    handoff_id = bot_handoff(bot_api, name="Lena Fischer", summary="Charged twice.")

    expect(page.locator("#new-handoff-alert")).to_contain_text("New case waiting: Lena Fischer")
    assert page.evaluate("window.shownNotifications") == [
        {"title": "New handoff waiting", "body": "Lena Fischer"}
    ]
    assert page.evaluate("window.soundsPlayed") == 1
    page.evaluate("window.lastNotification.onclick()")
    expect(page).to_have_url(re.compile(rf"/console/cases/{handoff_id}/$"))


def test_while_the_console_is_in_view_a_new_handoff_only_sounds(
    signed_in: Callable[..., Page], people: dict[str, Any], bot_api: APIRequestContext
) -> None:
    page = queue_watched_by(signed_in, people["ana"])
    handoff_id = bot_handoff(bot_api, name="Lena Fischer", summary="Charged twice.")
    expect(page.locator(f"#handoff-{handoff_id}")).to_contain_text("Lena Fischer")
    assert page.evaluate("window.soundsPlayed") == 1
    assert page.evaluate("window.shownNotifications") == []


def test_an_agent_who_opted_out_gets_no_notification_or_sound(
    signed_in: Callable[..., Page], people: dict[str, Any], bot_api: APIRequestContext
) -> None:
    page = queue_watched_by(signed_in, people["ana"])
    page.get_by_role("button", name="Mute alerts").click()
    expect(page.get_by_role("button", name="Turn alerts on")).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("Live")
    page.evaluate("window.tabHidden = true")
    handoff_id = bot_handoff(bot_api, name="Lena Fischer", summary="Charged twice.")
    expect(page.locator(f"#handoff-{handoff_id}")).to_contain_text("Lena Fischer")
    assert page.evaluate("window.shownNotifications") == []
    assert page.evaluate("window.soundsPlayed") == 0


def test_without_the_socket_the_queue_polls_and_says_so_then_resyncs(
    signed_in: Callable[..., Page], people: dict[str, Any], bot_api: APIRequestContext
) -> None:
    socket_up = False

    def console_socket(ws: WebSocketRoute) -> None:
        if socket_up:
            ws.connect_to_server()
        else:
            ws.close(code=1013, reason="try again later")  # the server refuses it

    page = signed_in(people["ana"])
    page.route_web_socket(re.compile(r"/ws/console/"), console_socket)
    page.goto("/console/")
    status = page.locator("#live-status")
    expect(status).to_have_text("Live updates paused — checking every 5 s")
    page.evaluate("htmx.config.wsReconnectDelay = () => 500")  # retry quickly once allowed

    first = bot_handoff(bot_api, name="Lena Fischer", summary="Charged twice.")
    expect(page.locator(f"#handoff-{first}")).to_be_visible(timeout=12_000)  # by polling
    expect(status).to_have_text("Live updates paused — checking every 5 s")
    expect(page.locator("#queue")).to_have_attribute("hx-trigger", "every 5s")

    second = bot_handoff(bot_api, name="Omar Haddad", summary="Lost parcel.")
    socket_up = True
    expect(status).to_have_text("Live")
    expect(page.locator(f"#handoff-{second}")).to_be_visible()
    expect(page.locator("#queue")).not_to_have_attribute("hx-trigger", "every 5s")
    third = bot_handoff(bot_api, name="Priya Nair", summary="Wrong address.")
    expect(page.locator(f"#handoff-{third}")).to_be_visible(timeout=3_000)  # live, not polled


def tab_to(page: Page, target: str, limit: int = 40) -> list[str]:
    """Press Tab until `target` has the focus; the stops on the way, each an element's id, or
    its text. Fails when Tab never reaches it."""
    stops: list[str] = []
    while target not in stops:
        assert len(stops) < limit, f"Tab never reached {target!r}: {stops}"
        page.keyboard.press("Tab")
        stops.append(
            page.evaluate("() => document.activeElement.id || document.activeElement.innerText")
        )
    return stops


def test_the_case_screen_works_from_the_keyboard(
    signed_in: Callable[..., Page], people: dict[str, Any]
) -> None:
    handoff = HandoffFactory(conversation__customer__name="Tom Becker")
    page = signed_in(people["ana"])
    page.goto(f"/console/cases/{handoff.pk}/")
    expect(page.locator("#live-status")).to_have_text("Live")
    assert_accessible(page)
    assert tab_to(page, "Claim this case")[0] == "Skip to content"
    page.keyboard.press("Enter")
    # The claim reloads the case (the status may change live before): the reply box is in.
    expect(page.locator("#reply-text")).to_be_visible()
    expect(page.locator("#case-status")).to_contain_text("with Ana Silva")
    expect(page.locator("#live-status")).to_have_text("Live")

    stops = tab_to(page, "Resolve")
    for stop in ("note-text", "Add note", "transcript", "reply-text", "resolve-note"):
        assert stop in stops
    assert_accessible(page)

    page.keyboard.press("Alt+r")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Hi Tom, I'm on it.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#transcript .from-agent")).to_contain_text("Hi Tom, I'm on it.")

    page.locator("#resolve-note").focus()
    page.keyboard.type("Sorted.")
    page.keyboard.press("Enter")  # submits the closing form
    expect(page.locator(".flash")).to_contain_text(f"Case {handoff.pk} closed.")
    handoff.refresh_from_db()
    assert handoff.resolution == Handoff.Resolution.RESOLVED
