"""The project's URLs plus the baselines the figures are measured against. Only the bench's
own settings (escalation.bench.settings) load this URLconf: these endpoints are never served
by a deployment."""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from agents_console.broadcast import group_send
from escalation.models import Message
from escalation.urls import urlpatterns as project_urlpatterns


@csrf_exempt
@require_POST
def insert_one_row(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The Bot API's baseline: the same request on the same server and database, its turn
    stored as one row, nothing else (no key, limit, lock, history or decision)."""
    turn = json.loads(request.body)
    message = Message.objects.create(
        conversation_id=conversation_id,
        sender=turn["sender"],
        text=turn["text"],
        sent_at=timezone.now(),
    )
    return JsonResponse({"id": message.pk}, status=201)


@csrf_exempt
@require_POST
def raw_group_send(request: HttpRequest) -> HttpResponse:
    """The console broadcast's baseline: a bare frame through the same channel layer."""
    group_send([request.GET["group"]], request.GET["marker"])
    return HttpResponse(status=204)


urlpatterns = [
    *project_urlpatterns,
    path("bench/conversations/<int:conversation_id>/insert", insert_one_row),
    path("bench/group-send", raw_group_send),
]
