from django.urls import path

from escalation.webchat.views import chat_contact, chat_page, chat_send, chat_status_view

urlpatterns = [
    path("", chat_page, name="chat"),
    path("messages/", chat_send, name="chat-send"),
    path("status/", chat_status_view, name="chat-status"),
    path("contact/", chat_contact, name="chat-contact"),
]
