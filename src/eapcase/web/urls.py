"""Pages of the web application: log in and out, each role's home, the work queue."""

from django.contrib.auth import views as auth_views
from django.urls import path

from eapcase.web import audit_views, caselife_views, search_views, views

app_name = "web"
urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("work/", views.work, name="work"),
    path("work/assign/<str:ref>/", views.work_assign, name="work_assign"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("work/unallocated/", caselife_views.unallocated, name="unallocated"),
    path(
        "work/unallocated/<str:ref>/allocate/",
        caselife_views.unallocated_allocate,
        name="unallocated_allocate",
    ),
    path("search/", search_views.search_page, name="search"),
    # WPO only (ADR 0036): clinicians see case rows, admins account and admin rows.
    path("audit/", audit_views.audit_list, name="audit"),
    path("", views.home, name="home"),
]
