from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wenming.cases"
    label = "cases"
    verbose_name = "问题整改"
