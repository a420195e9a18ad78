from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "wenming.inspections"
    label = "inspections"
    verbose_name = "督查测评"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_nav(90, "inspections:mine", "我的测评", policy.may_view_assignments)
        extensions.register_nav(100, "inspections:list", "督查测评", policy.may_view_rounds)
