"""The one module that sends console events. Each event is a server-rendered partial of the
console's templates, swapped out-of-band by id in every browser that should see it. The domain's
events reach these after commit (subscribed in apps.py); the console's own screens send the
rest (viewers, agents typing)."""

from typing import Any

from django.template.loader import render_to_string

from agents_console import queue
from agents_console.models import CaseViewer
from escalation.backends import outage_safe
from escalation.models import Handoff, Message

EVENT_TYPE = "console.event"
VIEWERS_EVENT_TYPE = "console.viewers"
# Sent to a case screen in two renderings, one for the agent holding the case, one for the rest.
CASE_EVENT_TYPE = "console.case"
# Someone is typing; nothing is stored. Not echoed to the typist's own screens.
TYPING_EVENT_TYPE = "console.typing"
# A queue's change, sent to the groups of everyone who may see the handoff (queue.handoff_groups):
# the queue screen shows the row; every console screen in those groups (the case screen too)
# shows the new-handoff alert, when there is one, and sounds or notifies it.
QUEUE_EVENT_TYPE = "console.queue"


def group_send(groups: list[str], html: str) -> None:
    outage_safe.group_send_all([(group, {"type": EVENT_TYPE, "html": html}) for group in groups])


def queue_row_html(handoff: Handoff) -> str:
    return render_to_string(
        "agents_console/queue.html#row-oob", {"handoff": queue.row_decorate(handoff)}
    )


def queue_pushes(handoff: Handoff, html: str, *, alert: str = "") -> list[tuple[str, Any]]:
    event = {"type": QUEUE_EVENT_TYPE, "html": html, "alert": alert}
    return [(group, event) for group in queue.handoff_groups(handoff)]


def queue_send(handoff: Handoff, html: str, *, alert: str = "") -> None:
    outage_safe.group_send_all(queue_pushes(handoff, html, alert=alert))


def handoff_changed(handoff_id: int) -> None:
    """A handoff was claimed, resolved or returned: read as it is now, and shown so."""
    handoff = (
        Handoff.objects.select_related("conversation__customer", "team", "claimed_by")
        .filter(pk=handoff_id)
        .first()
    )
    if handoff is not None:
        handoff_show(handoff)


def handoff_show(handoff: Handoff, *, is_new: bool = False) -> None:
    """Queues gain or lose its row, and everyone on its case screen sees its new status; a new
    one (`is_new`) is also announced. The pushes leave in one trip to the channel layer."""
    alert = ""
    if handoff.status == Handoff.Status.QUEUED:
        html = queue_row_html(handoff)
        if is_new:
            alert = render_to_string("agents_console/_nav.html#alert-oob", {"new_handoff": handoff})
    else:
        html = f'<li id="handoff-{handoff.pk}" hx-swap-oob="delete"></li>'
    owner_id = handoff.claimed_by_id if handoff.status == Handoff.Status.CLAIMED else None
    case_html = {
        role: render_to_string(
            "agents_console/case.html#case-oob", {"handoff": handoff, "is_owner": is_owner}
        )
        for role, is_owner in (("owner_html", True), ("others_html", False))
    }
    case_event = {"type": CASE_EVENT_TYPE, "owner_id": owner_id, **case_html}
    outage_safe.group_send_all(
        [
            *queue_pushes(handoff, html, alert=alert),
            (queue.case_group(handoff.conversation_id), case_event),
        ]
    )


def handoff_created(*, handoff: Handoff) -> None:
    """Shown as its transaction committed it, from the handoff the domain made (its
    conversation's customer and its team attached, handoff.handoff_create), without reading
    it again: nothing else can have changed it before the commit this runs after."""
    handoff_show(handoff, is_new=True)


def handoff_moved(*, handoff: Handoff) -> None:
    handoff_changed(handoff.pk)


def handoff_summary_written(*, handoff: Handoff) -> None:
    handoff_summary_changed(handoff.pk)


def handoff_summary_changed(handoff_id: int) -> None:
    """The AI wrote the summary after the handoff: it replaces the fallback on the case screens
    and in the queue row."""
    handoff = (
        Handoff.objects.select_related("conversation__customer", "team", "claimed_by")
        .filter(pk=handoff_id)
        .first()
    )
    if handoff is None:
        return
    if handoff.status == Handoff.Status.QUEUED:  # the row, replaced where it is shown
        removed = f'<li id="handoff-{handoff.pk}" hx-swap-oob="delete"></li>'
        queue_send(handoff, removed + queue_row_html(handoff))
    group_send(
        [queue.case_group(handoff.conversation_id)],
        render_to_string("agents_console/case.html#summary-oob", {"handoff": handoff}),
    )


def message_stored(*, message: Message, has_handoffs: bool | None = None) -> None:
    """A new line in a transcript: appended live on every screen showing that conversation.
    Rendered from the stored row as it was saved (its agent attached), without reading it
    again. Most turns are in conversations no agent has open (no case, or nobody on it): those
    are neither rendered nor sent. A case screen registers its viewer before its socket opens,
    and re-reads the transcript once open, so no line falls between the two. A Bot API turn
    read its conversation under the lock a case is created under, and knows whether it had
    ever had one (`has_handoffs`): without one no screen can show it, and nothing is asked."""
    if has_handoffs is False:
        return
    if not CaseViewer.objects.filter(handoff__conversation_id=message.conversation_id).exists():
        return
    html = render_to_string("agents_console/case.html#message-oob", {"message": message})
    group_send([queue.case_group(message.conversation_id)], html)


def viewers_changed(handoff_id: int, conversation_id: int) -> None:
    """Who has the case open changed: each case screen shows the others (see CaseConsumer)."""
    viewers = CaseViewer.objects.filter(handoff_id=handoff_id).select_related("user")
    event = {"type": VIEWERS_EVENT_TYPE, "viewers": viewer_names(viewers)}
    outage_safe.group_send(queue.case_group(conversation_id), event)


def viewer_names(viewers: "object") -> dict[str, str]:
    """{user id: name} of the people viewing a case (one entry each, however many tabs)."""
    return {
        str(viewer.user_id): viewer.user.get_full_name() or viewer.user.get_username()
        for viewer in viewers  # type: ignore[attr-defined]
    }


def viewers_other_than(names: dict[str, str], user_id: int | None) -> list[str]:
    return sorted(name for uid, name in names.items() if uid != str(user_id))


def viewers_html(names: dict[str, str], *, user_id: int) -> str:
    """The "also viewing" line as `user_id` sees it: everyone but themselves."""
    others = viewers_other_than(names, user_id)
    return render_to_string("agents_console/case.html#viewers-oob", {"viewers": others})


def typing_html(*, element_id: str, text: str) -> str:
    return render_to_string(
        "agents_console/case.html#typing-oob", {"typing_id": element_id, "typing": text}
    )


def agent_typing(*, conversation_id: int, user_id: int, name: str) -> None:
    """An agent is writing in a case's reply box: the others on the case see it."""
    html = typing_html(element_id="agent-typing", text=f"{name} is replying…")
    outage_safe.group_send(
        queue.case_group(conversation_id),
        {"type": TYPING_EVENT_TYPE, "user_id": user_id, "html": html},
    )


def customer_typing(*, conversation_id: int, name: str) -> None:
    """The customer is writing in the web chat: everyone on their case sees it."""
    html = typing_html(element_id="customer-typing", text=f"{name} is typing…")
    outage_safe.group_send(
        queue.case_group(conversation_id),
        {"type": TYPING_EVENT_TYPE, "user_id": None, "html": html},
    )
