"""URLs of the compliance app (mounted in config/urls.py)."""

from django.urls import URLPattern, URLResolver

app_name = "compliance"
urlpatterns: list[URLPattern | URLResolver] = []
