"""URLs of the providers app (mounted in config/urls.py)."""

from django.urls import URLPattern, URLResolver

app_name = "providers"
urlpatterns: list[URLPattern | URLResolver] = []
