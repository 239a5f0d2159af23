from django.urls import URLPattern, URLResolver, path, re_path

from agents_console import consumers as console
from escalation.webchat.consumer import CustomerChatConsumer, UnknownPathConsumer

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/chat/<int:conversation_id>/", CustomerChatConsumer.as_asgi()),
    path("ws/console/queue/", console.AgentQueueConsumer.as_asgi()),
    path("ws/console/alerts/", console.AgentQueueConsumer.as_asgi(alerts_only=True)),
    path("ws/console/cases/<int:handoff_id>/", console.CaseConsumer.as_asgi()),
    # Last: any other path is closed cleanly, where URLRouter would raise (a 500 in the log).
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
