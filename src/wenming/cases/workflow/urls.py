"""Routes of one problem; included last by ``cases/urls.py`` (namespace ``cases``): a problem's
code is any path segment, so every fixed route must come before these."""

from django.urls import path

from . import views

urlpatterns = [
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/act/<str:action>/", views.act, name="act"),
]
