"""URLs of the participant pages (mounted at /participants/ in config/urls.py; namespace
`participants`). `/participants/<id>/` is a contract: other pages and mail link to it."""

from django.urls import path

from eapcase.web import participant_views as views

app_name = "participants"
urlpatterns = [
    path("merge/", views.participant_merge_page, name="merge"),
    path("<int:pk>/", views.participant_detail, name="detail"),
]
