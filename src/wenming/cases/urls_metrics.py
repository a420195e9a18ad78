"""Routes of the metrics page; included inside the ``cases`` namespace."""

from django.urls import path

from . import views_metrics

urlpatterns = [
    path("metrics/", views_metrics.metrics_page, name="metrics"),
]
