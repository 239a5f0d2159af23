import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")
django_asgi_app = get_asgi_application()

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from escalation.checks import secret_key_check  # noqa: E402

# daphne runs no system checks: refuse to serve with a key anyone could know or none at all.
if key_errors := secret_key_check():
    raise ImproperlyConfigured(f"{key_errors[0].msg} {key_errors[0].hint}")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from escalation.websocket_origin import SiteOriginValidator  # noqa: E402
from escalation.websocket_urls import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SiteOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

from escalation.detectors import encoder  # noqa: E402

encoder.load()  # once, before the first request: not in the middle of a customer's turn

# Everything loaded so far (Django, the apps, their modules and templates) lives as long as the
# process. Kept out of the garbage collector's full collections, which otherwise walk it again
# every few seconds while sockets come and go: with 1,000 sockets open, a full collection
# paused daphne for 150-370 ms (about half that after freezing), and one falling during a
# broadcast held back every frame still to be sent.
gc.collect()
gc.freeze()
