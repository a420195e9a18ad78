from django.apps import AppConfig

AUDIT_LABELS = {
    "standards.builtin": "载入内置测评体系", "standards.copy": "复制测评体系", "standards.import": "导入测评体系",
    "standards.point_type_create": "新建点位类型", "standards.status": "更改测评体系状态", "standards.system": "测评体系",
    "standards.view": "查看测评体系",
}


class StandardsConfig(AppConfig):
    name = "wenming.standards"
    label = "standards"
    verbose_name = "测评体系"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_nav(120, "standards:list", "测评体系", policy.may_view)
