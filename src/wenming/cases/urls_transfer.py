"""Ledger export and problem import; included inside the ``cases`` namespace."""

from django.urls import path

from . import views_transfer

urlpatterns = [
    path("export/", views_transfer.export, name="export"),
    path("import/", views_transfer.problem_import, name="import"),
    path("import/template.xlsx", views_transfer.import_template, name="import_template"),
]
