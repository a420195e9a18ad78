from django.apps import AppConfig

AUDIT_LABELS = {
    "dashboard.view": "查看领导驾驶舱",
    "dashboard.export": "导出领导驾驶舱数据",
    "screen.only": "大屏展示账号访问其他页面",
}


class DashboardConfig(AppConfig):
    name = "wenming.dashboard"
    label = "dashboard"
    verbose_name = "领导驾驶舱"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_nav(5, "dashboard:index", "领导驾驶舱", policy.may_view)
        # a 大屏展示账号 opens these pages only, and lands on the big screen
        extensions.register_screen_pages("dashboard", "dashboard:screen")
