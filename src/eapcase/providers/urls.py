"""URLs of the providers app (mounted at /provider/ in config/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from eapcase.providers import views

app_name = "providers"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("cases/<str:ref>/", views.referral, name="referral"),
    path("cases/<str:ref>/sessions/", views.session, name="session"),
    path("cases/<str:ref>/intervention-end/", views.intervention_end, name="intervention_end"),
    path("cases/<str:ref>/notes/", views.notes_upload, name="notes_upload"),
    path(
        "cases/<str:ref>/notes/<int:upload_id>/",
        views.notes_download,
        name="notes_download",
    ),
    path(
        "cases/<str:ref>/notes/<int:upload_id>/view/",
        views.notes_inline,
        name="notes_inline",
    ),
    path("cases/<str:ref>/flags/", views.flag, name="flag"),
    path("cases/<str:ref>/queries/", views.query, name="query"),
]
