"""Routes of the rectification loop (namespace ``cases``, under ``/problems/``): one include per
part, each part's routes beside its views. The problem pages (``workflow``) match any code, so
they come last."""

from django.urls import include, path

app_name = "cases"

urlpatterns = [
    path("", include("wenming.cases.intake.urls")),
    path("", include("wenming.cases.ledger.urls")),
    path("", include("wenming.cases.notices.urls")),
    path("", include("wenming.cases.metrics.urls")),
    path("", include("wenming.cases.settings.urls")),
    path("", include("wenming.cases.workflow.urls")),
]

# the API's endpoints are in cases/api.py, mounted by config/api.py
