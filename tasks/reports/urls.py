"""The public problem-report pages (under /report/). Loaded on the first /report/ request only."""

from django.urls import path

from tasks.reports import views

urlpatterns = [
    path("", views.report_page, name="report"),
    path("<str:report_id>/", views.report_status_page, name="report-status"),
]
