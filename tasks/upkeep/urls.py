from django.urls import path

from . import views

urlpatterns = [
    path("shops/<str:shop>.ics", views.shop_feed, name="calendar-shop"),
    path("<str:neon_id>/<str:token>.ics", views.personal_feed, name="calendar-personal"),
]
