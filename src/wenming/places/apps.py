from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "wenming.places"
    label = "places"
    verbose_name = "点位"
