"""URLs of the intake app (mounted at /email/ in config/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from eapcase.intake import views

app_name = "intake"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("<int:email_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:email_id>/action/", views.action, name="action"),
    path("triage/", views.triage, name="triage"),
    path("triage/<int:message_id>/", views.message_detail, name="message"),
    path("triage/<int:message_id>/link/", views.link, name="link"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
