from django.urls import path

from . import views

app_name = "archives"

urlpatterns = [
    path("", views.home, name="home"),
    path("matrix/", views.matrix_page, name="matrix"),
    path("matrix/export/", views.matrix_export, name="matrix_export"),
    path("readiness/", views.readiness_page, name="readiness"),
    path("waiting/", views.waiting, name="waiting"),
    path("derive/", views.derive, name="derive"),
    path("collect/", views.collect_now, name="collect"),
    path("package/", views.package_export, name="package"),
    path("requirements/new/", views.requirement_new, name="requirement_new"),
    path("requirements/<int:pk>/", views.requirement_detail, name="requirement"),
    path("requirements/<int:pk>/edit/", views.requirement_edit, name="requirement_edit"),
    path("requirements/<int:pk>/upload/", views.upload, name="upload"),
    path("evidence/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("evidence/<int:pk>/<str:action>/", views.review, name="review"),
    path("files/<int:pk>/", views.evidence_file, name="file"),
]
