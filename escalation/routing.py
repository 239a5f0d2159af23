from django.urls import URLPattern, URLResolver

# Each app adds its socket routes here.
websocket_urlpatterns: list[URLPattern | URLResolver] = []
