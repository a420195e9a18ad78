from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("screen/", views.screen, name="screen"),
    path("export/<str:table>/", views.export, name="export"),
    path("table/<str:table>/", views.table, name="table"),
]
