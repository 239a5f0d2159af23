from django.urls import URLPattern, URLResolver, path

from agents_console import consumers

# Each app adds its socket routes here.
websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/console/queue/", consumers.AgentQueueConsumer.as_asgi()),
    path("ws/console/cases/<int:handoff_id>/", consumers.CaseConsumer.as_asgi()),
]
