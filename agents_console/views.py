"""Console pages and actions: parse, call one domain function, render (a partial for htmx,
a redirect with a message for a plain form)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from agents_console import presence, queue
from agents_console.audit import audit_record
from agents_console.broadcast import viewer_names, viewers_other_than
from agents_console.history import customer_history
from agents_console.models import AuditEvent, CaseViewer, Note
from agents_console.opening import opening_line
from agents_console.roles import is_agent, is_supervisor
from agents_console.saved_replies import saved_replies_offered
from escalation.handoff import (
    HandoffUnavailable,
    agent_capacity_refusal,
    agent_name,
    handoff_assign,
    handoff_claim,
    handoff_hand_back,
    handoff_release,
    handoff_reply,
    handoff_resolve,
    handoff_take_over,
)
from escalation.held import held_signals
from escalation.models import AgentProfile, Disposition, Handoff, Message
from escalation.redaction import secrets_mask
from escalation.roles import AGENTS, SUPERVISORS

View = Callable[..., HttpResponse]
MAX_TEXT = 5000


def agent_required(view: View) -> View:
    """Every console page: logged in, and an agent (or supervisor); anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_agent(request.user):
            raise PermissionDenied("The console is for agents and supervisors.")
        return view(request, *args, **kwargs)

    return wrapped


def handoff_for(request: HttpRequest, pk: int) -> Handoff:
    """The case behind `pk` if this agent may see it: 404 when there is none, 403 saying why
    when it is behind another team's wall (queue.handoffs_visible_to)."""
    handoff = (
        queue.handoffs_visible_to(user=request.user)
        .select_related("conversation__customer", "team", "claimed_by")
        .filter(pk=pk)
        .first()
    )
    if handoff is not None:
        return handoff
    hidden = Handoff.objects.select_related("team").filter(pk=pk).first()
    if hidden is None:
        raise Http404("No such case.")
    raise PermissionDenied(f"Case {pk} belongs to the {hidden.team} team, which you are not in.")


def case_url(handoff: Handoff) -> str:
    return reverse("console:case", args=[handoff.pk])


def done(request: HttpRequest, url: str, text: str = "") -> HttpResponse:
    if text:
        messages.success(request, text)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)  # type: ignore[attr-defined]


def refused(request: HttpRequest, url: str, text: str) -> HttpResponse:
    """A refusal the agent must see: inline for htmx, a flash message otherwise."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "agents_console/queue.html#notice", {"notice": text})
    messages.error(request, text)
    return redirect(url)


def console_user(request: HttpRequest) -> User:
    """The logged-in agent (agent_required guarantees one)."""
    assert isinstance(request.user, User)
    return request.user


def profile_context(request: HttpRequest) -> dict[str, Any]:
    profile = presence.profile_for(user=request.user)
    return {"profile": profile, "is_supervisor": is_supervisor(request.user)}


# The queue -----------------------------------------------------------------------------------


@require_GET
@agent_required
def queue_page(request: HttpRequest) -> HttpResponse:
    filters = queue.QueueFilters.from_query(request.GET)
    context = queue.queue_context(user=request.user, filters=filters) | {
        "polling": request.GET.get("poll") == "1"
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "agents_console/queue.html#queue", context)
    return render(request, "agents_console/queue.html", context | profile_context(request))


@require_POST
@agent_required
def presence_update(request: HttpRequest) -> HttpResponse:
    """Available / away, or new-handoff alerts (browser notification and sound) on / off."""
    if "alerts" in request.POST:
        profile = presence.profile_for(user=request.user)
        profile.wants_notifications = request.POST["alerts"] == "on"
        profile.save(update_fields=["wants_notifications"])
        return redirect("console:queue")
    try:
        profile = presence.presence_set(
            user=request.user, presence=request.POST.get("presence", "")
        )
    except ValueError:
        return refused(request, reverse("console:queue"), "Choose available or away.")
    if profile.presence == AgentProfile.Presence.AVAILABLE:
        waiting = queue.queue_for(user=request.user)
        if waiting:
            messages.info(
                request,
                f"You are available. {len(waiting)} case(s) waiting — the oldest and most "
                "urgent is offered first: use “Take the next case”.",
            )
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(reverse("console:queue"))
    return redirect("console:queue")


@require_POST
@agent_required
def claim_next(request: HttpRequest) -> HttpResponse:
    """Offer the oldest, most urgent waiting case first; if someone wins it, try the next."""
    for handoff in queue.queue_for(user=request.user)[:10]:
        try:
            handoff_claim(handoff=handoff, agent=request.user)
        except HandoffUnavailable as exc:
            if type(exc) is not HandoffUnavailable:  # at capacity: trying others won't help
                return refused(request, reverse("console:queue"), str(exc))
            continue
        return done(request, case_url(handoff))
    return refused(request, reverse("console:queue"), "No case is waiting in your queues.")


@require_POST
@agent_required
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_for(request, pk)
    # Claimed from the case screen, a refusal keeps the agent on the case they were reading.
    back = case_url(handoff) if request.POST.get("from") == "case" else reverse("console:queue")
    try:
        handoff_claim(handoff=handoff, agent=request.user)
    except HandoffUnavailable as exc:
        return refused(request, back, str(exc))
    return done(request, case_url(handoff))


@require_POST
@agent_required
def take_over(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a claimed case from the agent holding it: only with the confirmation, which names
    the agent it is taken from."""
    handoff = handoff_for(request, pk)
    holder = request.POST.get("from", "")
    if request.POST.get("confirm") != "yes" or not holder.isdigit():
        return refused(request, case_url(handoff), "Confirm that you take the case over.")
    try:
        handoff_take_over(handoff=handoff, agent=request.user, from_agent_id=int(holder))
    except HandoffUnavailable as exc:
        return refused(request, case_url(handoff), str(exc))
    return done(request, case_url(handoff), f"You took case {handoff.pk} over.")


# The case ------------------------------------------------------------------------------------


TRANSCRIPT_RECENT = 200


def transcript_context(handoff: Handoff, *, everything: bool = False) -> dict[str, Any]:
    """The latest TRANSCRIPT_RECENT lines (or all of them) in one query, whether there are
    earlier ones, and where the handoff happened. A long transcript costs its render time on
    every open and poll; the earlier lines are one link away."""
    latest = (
        Message.objects.filter(conversation_id=handoff.conversation_id)
        .select_related("agent")
        .order_by("-id")
    )
    rows = list(latest if everything else latest[: TRANSCRIPT_RECENT + 1])
    has_earlier = len(rows) > TRANSCRIPT_RECENT and not everything
    messages = rows[:TRANSCRIPT_RECENT][::-1] if has_earlier else rows[::-1]
    marker = next(
        (
            m.pk
            for m in messages
            if m.sender == Message.Sender.SYSTEM and m.sent_at >= handoff.queued_at
        ),
        None,
    )
    return {"transcript": messages, "handoff_marker": marker, "has_earlier": has_earlier}


@require_GET
@agent_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_for(request, pk)
    transcript = transcript_context(handoff, everything=request.GET.get("all") == "1")
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "agents_console/case.html#transcript",
            transcript | {"handoff": handoff, "polling": request.GET.get("poll")},
        )
    audit_record(handoff=handoff, actor=request.user, kind=AuditEvent.Kind.OPENED)
    supervisor = is_supervisor(request.user)
    agents = (
        list(
            User.objects.filter(groups__name__in=[AGENTS, SUPERVISORS], is_active=True)
            .distinct()
            .order_by("first_name", "username")
        )
        if supervisor and handoff.is_open
        else []
    )
    viewers = CaseViewer.objects.filter(handoff=handoff).select_related("user")
    is_owner = handoff.status == Handoff.Status.CLAIMED and handoff.claimed_by_id == request.user.pk
    profile = profile_context(request)
    # The claim button is offered only where the claim would succeed (bar another agent's
    # quicker click): an agent at capacity is told why instead.
    claim_refusal = (
        agent_capacity_refusal(agent=request.user, profile=profile["profile"])
        if handoff.status == Handoff.Status.QUEUED
        else ""
    )
    fired = [t for t in handoff.triggers if t.get("fired")]
    # The reason the bot gave, unless it only repeats the triggers' evidence.
    evidence = "; ".join(t.get("evidence", "") for t in fired)
    context = (
        profile
        | transcript
        | {
            "handoff": handoff,
            "customer": handoff.conversation.customer,
            "trigger_list": fired,
            "reason": "" if handoff.reason == evidence else handoff.reason,
            "notes": Note.objects.filter(handoff=handoff).select_related("author"),
            "audit": AuditEvent.objects.filter(handoff=handoff).select_related("actor"),
            "viewers": viewers_other_than(viewer_names(viewers), request.user.pk),
            "is_owner": is_owner,
            "claim_refusal": claim_refusal,
            "agents": agents,
            "opening": opening_line(
                handoff=handoff,
                customer_turns=[
                    m.text
                    for m in transcript["transcript"]
                    if m.sender == Message.Sender.CUSTOMER and m.sent_at <= handoff.queued_at
                ],
            )
            if is_owner
            else "",
            "has_agent_reply": any(
                m.sender == Message.Sender.AGENT for m in transcript["transcript"]
            ),
            "resolutions": Handoff.Resolution.choices,
            "dispositions": list(Disposition.objects.filter(is_active=True)) if is_owner else [],
            "saved_replies": (
                saved_replies_offered(handoff=handoff, agent=request.user) if is_owner else []
            ),
            "history": customer_history(handoff=handoff),
            "held_signals": held_signals(handoff=handoff),
        }
    )
    return render(request, "agents_console/case.html", context)


@require_GET
@agent_required
def saved_replies(request: HttpRequest, pk: int) -> HttpResponse:
    """The saved replies matching the search, filled for this case and agent."""
    handoff = handoff_for(request, pk)
    offered = saved_replies_offered(
        handoff=handoff, agent=console_user(request), query=request.GET.get("q", "")[:100]
    )
    return render(request, "agents_console/case.html#saved-reply-list", {"saved_replies": offered})


def posted_text(request: HttpRequest, field: str) -> str:
    return request.POST.get(field, "").replace("\x00", "").strip()[:MAX_TEXT]


@require_POST
@agent_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_for(request, pk)
    text = posted_text(request, "text")
    error = ""
    if not text:
        error = "Write a message first."
    else:
        try:
            handoff_reply(handoff=handoff, agent=request.user, text=text)
        except HandoffUnavailable as exc:
            error = str(exc)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "agents_console/case.html#reply",
            {
                "handoff": handoff,
                "is_owner": True,
                "reply_error": error,
                "draft": text if error else "",
                "saved_replies": saved_replies_offered(handoff=handoff, agent=request.user),
            },
        )
    if error:
        messages.error(request, error)
    return redirect(case_url(handoff))


@require_POST
@agent_required
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_for(request, pk)
    text = posted_text(request, "text")
    if text:
        Note.objects.create(handoff=handoff, author=console_user(request), text=secrets_mask(text))
        audit_record(handoff=handoff, actor=request.user, kind=AuditEvent.Kind.NOTED)
    if request.htmx:  # type: ignore[attr-defined]
        notes = Note.objects.filter(handoff=handoff).select_related("author")
        return render(
            request, "agents_console/case.html#notes", {"handoff": handoff, "notes": notes}
        )
    return redirect(case_url(handoff))


@require_POST
@agent_required
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_for(request, pk)
    resolution = request.POST.get("resolution", "")
    if resolution not in Handoff.Resolution.values:
        return refused(request, case_url(handoff), "Choose an outcome.")
    offered = Disposition.objects.filter(is_active=True)
    chosen = request.POST.get("disposition", "")
    disposition = offered.filter(pk=chosen).first() if chosen.isdigit() else None
    if disposition is None and offered.exists():
        return refused(request, case_url(handoff), "Choose what kind of problem it was.")
    try:
        handoff_resolve(
            handoff=handoff,
            agent=request.user,
            resolution=resolution,
            note=posted_text(request, "note"),
            disposition=disposition,
        )
    except HandoffUnavailable as exc:
        return refused(request, case_url(handoff), str(exc))
    return done(request, reverse("console:queue"), f"Case {handoff.pk} closed.")


@require_POST
@agent_required
def release(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_for(request, pk)
    supervisor = is_supervisor(request.user)
    try:
        handoff_release(
            handoff=handoff,
            reason=f"returned by {agent_name(request.user)}",
            actor=request.user,
            owner_only=not supervisor,
        )
    except HandoffUnavailable as exc:
        return refused(request, case_url(handoff), str(exc))
    return done(request, reverse("console:queue"), f"Case {handoff.pk} is back in the queue.")


@require_POST
@agent_required
def hand_back(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_for(request, pk)
    note = posted_text(request, "note")
    if not note:
        return refused(request, case_url(handoff), "Leave the assistant a note to resume with.")
    try:
        handoff_hand_back(handoff=handoff, agent=request.user, note=note)
    except HandoffUnavailable as exc:
        return refused(request, case_url(handoff), str(exc))
    return done(request, reverse("console:queue"), f"Case {handoff.pk} handed back to the AI.")


@require_POST
@agent_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_supervisor(request.user):
        raise PermissionDenied("Only supervisors assign cases.")
    handoff = handoff_for(request, pk)
    agent = (
        User.objects.filter(Q(groups__name__in=[AGENTS, SUPERVISORS]), is_active=True)
        .filter(pk=request.POST.get("agent") or 0)
        .first()
        if (request.POST.get("agent") or "").isdigit()
        else None
    )
    if agent is None:
        return refused(request, case_url(handoff), "Choose an agent.")
    try:
        handoff_assign(handoff=handoff, agent=agent, by=request.user)
    except HandoffUnavailable as exc:
        return refused(request, case_url(handoff), str(exc))
    return done(request, case_url(handoff), f"Case {handoff.pk} assigned to {agent_name(agent)}.")
