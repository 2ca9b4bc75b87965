"""Operations endpoints, mounted at the root: `/healthz`."""

from django.urls import path

from eapcase.ops import views

app_name = "ops"
urlpatterns = [path("healthz", views.healthz, name="healthz")]
