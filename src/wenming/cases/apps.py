from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wenming.cases"
    label = "cases"
    verbose_name = "问题整改"

    def ready(self) -> None:
        from . import config  # noqa: F401  (connects the receivers that keep its cache valid)
