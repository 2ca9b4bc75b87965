"""Pages of the web application."""

from django.contrib.auth import views as auth_views
from django.urls import path

from eapcase.web import views

app_name = "web"
urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
]
