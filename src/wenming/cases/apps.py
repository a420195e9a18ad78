from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wenming.cases"
    label = "cases"
    verbose_name = "问题整改"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import config  # noqa: F401  (connects the receivers that keep its cache valid)
        from . import selectors

        extensions.register_photo_viewer(selectors.photo_visible)
        extensions.register_home_attention(selectors.home_attention)
