from django.urls import path

from . import views

app_name = "standards"

urlpatterns = [
    path("", views.system_list, name="list"),
    path("import/", views.system_import, name="import"),
    path("builtin/", views.builtin_load, name="builtin"),
    path("import/template.xlsx", views.template, name="template"),
    path("point-types/", views.point_types, name="point_types"),
    path("<int:pk>/", views.system_detail, name="system"),
    path("<int:pk>/export.xlsx", views.system_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("<int:pk>/export.yaml", views.system_export, {"fmt": "yaml"}, name="export_yaml"),
    path("<int:pk>/replace/", views.system_replace, name="replace"),
    path("<int:pk>/copy/", views.system_copy, name="copy"),
    path("<int:pk>/status/", views.system_status, name="status"),
]
