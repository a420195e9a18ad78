"""Routes of the 督办单/督办函 pages; included by ``cases/urls.py`` (namespace ``cases``)."""

from django.urls import path

from . import views_notices

urlpatterns = [
    path("notices/", views_notices.notice_list, name="notices"),
    path("notices/<int:pk>/", views_notices.notice_detail, name="notice"),
    path("notices/<int:pk>/docx/", views_notices.notice_docx, name="notice_docx"),
]
