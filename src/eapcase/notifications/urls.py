"""URLs of the notifications app (mounted in config/urls.py)."""

from django.urls import URLPattern, URLResolver

app_name = "notifications"
urlpatterns: list[URLPattern | URLResolver] = []
