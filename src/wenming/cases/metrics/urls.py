"""Routes of the metrics page; included inside the ``cases`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("metrics/", views.metrics_page, name="metrics"),
    path("metrics/export.xlsx", views.metrics_export, name="metrics_export"),
]
