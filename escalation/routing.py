from django.urls import URLPattern, URLResolver, path

from escalation.consumers import CustomerChatConsumer

# Each app adds its socket routes here.
websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/chat/<int:conversation_id>/", CustomerChatConsumer.as_asgi()),
]
