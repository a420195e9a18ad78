from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "wenming.places"
    label = "places"
    verbose_name = "点位"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy, selectors

        extensions.register_photo_viewer(selectors.photo_visible)
        extensions.register_place_finder(selectors.nearest_point_area)
        extensions.register_nav(110, "places:list", "点位", policy.may_view)
