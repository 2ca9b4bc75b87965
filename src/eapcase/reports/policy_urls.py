"""URLs of the policy page (mounted at /policy/ in config/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from eapcase.reports import views

app_name = "policy"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.policy, name="policy"),
    path("what-if/<int:pk>/", views.what_if, name="what-if"),
]
