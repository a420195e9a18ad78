from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "wenming.standards"
    label = "standards"
    verbose_name = "测评体系"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_nav(120, "standards:list", "测评体系", policy.may_view)
