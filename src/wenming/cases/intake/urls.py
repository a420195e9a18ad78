"""Routes of intake; included by ``cases/urls.py`` (namespace ``cases``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("new/", views.report, name="report"),
    path("new/nearby/", views.nearby, name="nearby"),
    path("new/place/", views.place, name="place"),
    path("new/areas/", views.areas, name="areas"),
    path("new/plan/", views.plan, name="plan"),
]
