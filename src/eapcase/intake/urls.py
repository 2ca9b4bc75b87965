"""URLs of the intake app (mounted in config/urls.py)."""

from django.urls import URLPattern, URLResolver

app_name = "intake"
urlpatterns: list[URLPattern | URLResolver] = []
