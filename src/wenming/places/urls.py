from django.urls import path

from . import views

app_name = "places"

# fixed paths first: a point's code never takes one of these names (services.RESERVED_CODES)
urlpatterns = [
    path("", views.point_list, name="list"),
    path("scatter.json", views.scatter, name="scatter"),
    path("new/", views.point_create, name="create"),
    path("import/", views.point_import, name="import"),
    path("import/template.xlsx", views.point_template, name="import_template"),
    path("export/", views.point_export, name="export"),
    path("qr-sheet/", views.qr_sheet, name="qr_sheet"),
    path("q/<str:token>/", views.qr_resolve, name="qr"),
    path("<str:code>/", views.point_detail, name="detail"),
    path("<str:code>/edit/", views.point_edit, name="edit"),
    path("<str:code>/photo/", views.point_photo, name="photo"),
    path("<str:code>/<str:action>/", views.point_action, name="action"),
]
