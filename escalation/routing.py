from django.urls import URLPattern, URLResolver, path

from agents_console import consumers as console
from escalation.consumers import CustomerChatConsumer

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/chat/<int:conversation_id>/", CustomerChatConsumer.as_asgi()),
    path("ws/console/queue/", console.AgentQueueConsumer.as_asgi()),
    path("ws/console/cases/<int:handoff_id>/", console.CaseConsumer.as_asgi()),
]
