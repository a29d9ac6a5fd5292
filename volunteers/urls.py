"""Log in and out (under /auth/). Loaded on the first /auth/ request: API reads never import it."""

from django.urls import path

from volunteers import views

urlpatterns = [
    path("neon/login", views.neon_login, name="neon-login"),
    path("neon/callback", views.neon_callback, name="neon-callback"),
    path("logout", views.logout, name="logout"),
    path("magic-link", views.magic_link_request, name="magic-link"),
    path("magic-link/<str:token>", views.magic_link_confirm, name="magic-link-confirm"),
    path("dev-login", views.dev_login, name="dev-login"),
    path("notices/off/<str:token>", views.notice_off, name="notice-off"),
]
