"""The web chat's pages and actions: parse, call one function of chat.py, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from escalation.models import Customer
from escalation.roles import AGENTS
from escalation.webchat.chat import (
    chat_contact_request,
    chat_conversation_current,
    chat_customer,
    chat_message_send,
    chat_page_context,
)
from escalation.webchat.forms import ContactForm, MessageForm


def request_customer(request: HttpRequest) -> Customer:
    """Agents use the console; the chat is for customers only."""
    user = request.user
    if user.groups.filter(name=AGENTS).exists():
        raise PermissionDenied("The web chat is for customers; agents use the console.")
    return chat_customer(user=user)


@login_required
@require_GET
def chat_page(request: HttpRequest) -> HttpResponse:
    customer = request_customer(request)
    conversation = chat_conversation_current(customer=customer)
    context = chat_page_context(conversation) | {"customer": customer, "form": MessageForm()}
    return render(request, "chat/chat.html", context)


@login_required
@require_POST
def chat_send(request: HttpRequest) -> HttpResponse:
    customer = request_customer(request)
    form = MessageForm(request.POST)
    started = False
    if form.is_valid():
        _, started = chat_message_send(customer=customer, text=form.cleaned_data["text"])
        form = MessageForm()
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("chat")
    if started:
        return HttpResponseClientRefresh()  # a new thread needs its own socket
    return render(request, "chat/chat.html#composer", {"form": form})


@login_required
@require_GET
def chat_status_view(request: HttpRequest) -> HttpResponse:
    customer = request_customer(request)
    conversation = chat_conversation_current(customer=customer)
    return render(request, "chat/chat.html#status", chat_page_context(conversation))


@login_required
@require_POST
def chat_contact(request: HttpRequest) -> HttpResponse:
    customer = request_customer(request)
    conversation = chat_conversation_current(customer=customer)
    form = ContactForm(request.POST)
    if conversation is not None and form.is_valid():
        chat_contact_request(conversation=conversation, email=form.cleaned_data["email"])
        conversation.refresh_from_db()
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("chat")
    return render(
        request,
        "chat/chat.html#status",
        chat_page_context(conversation) | {"contact_form": form, "contact_saved": form.is_valid()},
    )
