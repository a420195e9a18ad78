from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "wenming.org"
    label = "org"
    verbose_name = "组织体系"
