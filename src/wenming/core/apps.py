from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "wenming.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from . import lookups, signals  # noqa: F401  (the literal_in lookup; login audit receivers)
