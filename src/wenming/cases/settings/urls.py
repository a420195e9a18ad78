from django.urls import path

from . import views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/<str:section>/", views.settings_save, name="settings_save"),
    path("settings/<str:section>/<int:pk>/delete/", views.settings_delete, name="settings_delete"),
]
