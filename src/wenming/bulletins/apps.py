from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "wenming.bulletins"
    label = "bulletins"
    verbose_name = "通报"

    def ready(self) -> None:
        from . import errors  # noqa: F401  (its error classes join the error tree: core.errors.all_codes)
