from django.urls import path

from surveys import dashboard_views, views

survey_urlpatterns = [path("<str:token>/", views.survey, name="survey")]

chat_urlpatterns = [path("survey/<int:pk>/", views.chat_survey, name="chat-survey")]

metrics_urlpatterns = [
    path("", dashboard_views.metrics, name="metrics"),
    path("cases/", dashboard_views.metrics_cases, name="metrics_cases"),
    path("export.csv", dashboard_views.metrics_csv, name="metrics_csv"),
]
