"""Routes of the 督办单/督办函 pages; included by ``cases/urls.py`` (namespace ``cases``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/docx/", views.notice_docx, name="notice_docx"),
]
