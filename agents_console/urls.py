from django.urls import path

from agents_console import views

app_name = "console"

urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("presence/", views.presence_update, name="presence"),
    path("claim-next/", views.claim_next, name="claim-next"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/claim/", views.claim, name="claim"),
    path("cases/<int:pk>/take-over/", views.take_over, name="take-over"),
    path("cases/<int:pk>/saved-replies/", views.saved_replies, name="saved-replies"),
    path("cases/<int:pk>/assign/", views.assign, name="assign"),
    path("cases/<int:pk>/reply/", views.reply, name="reply"),
    path("cases/<int:pk>/notes/", views.note_add, name="notes"),
    path("cases/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("cases/<int:pk>/release/", views.release, name="release"),
    path("cases/<int:pk>/hand-back/", views.hand_back, name="hand-back"),
]
