from django.urls import path

from . import views_settings

urlpatterns = [
    path("settings/", views_settings.settings_page, name="settings"),
    path("settings/<str:section>/", views_settings.settings_save, name="settings_save"),
    path("settings/<str:section>/<int:pk>/delete/", views_settings.settings_delete, name="settings_delete"),
]
