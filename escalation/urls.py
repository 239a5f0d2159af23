from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from escalation.api.endpoints import api
from escalation.health import healthz
from surveys import urls as surveys_urls

handler403 = "escalation.refusals.permission_denied"

admin.site.site_header = "Handover administration"
admin.site.site_title = "Handover"

urlpatterns = [
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("chat/", include("escalation.webchat.urls")),
    path("chat/", include(surveys_urls.chat_urlpatterns)),
    path("console/", include("agents_console.urls")),
    path("survey/", include(surveys_urls.survey_urlpatterns)),
    path("console/metrics/", include(surveys_urls.metrics_urlpatterns)),
]
