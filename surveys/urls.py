from django.urls import path

from surveys import views

survey_urlpatterns = [path("<str:token>/", views.survey, name="survey")]
metrics_urlpatterns: list = []
