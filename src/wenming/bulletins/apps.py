from django.apps import AppConfig

AUDIT_LABELS = {
    "bulletins.view": "查看通报", "bulletins.bulletin": "通报", "bulletins.create": "起草通报",
    "bulletins.update": "修改通报", "bulletins.generate": "生成通报文件", "bulletins.submit": "通报送审",
    "bulletins.review": "审核通报", "bulletins.issue": "印发通报",
    "bulletins.templates": "通报模板", "bulletins.template": "通报模板",
    "bulletins.template_upload": "上传通报模板", "bulletins.template_activate": "启用通报模板",
    "bulletins.template_reset": "恢复默认通报模板",
}


class BulletinsConfig(AppConfig):
    name = "wenming.bulletins"
    label = "bulletins"
    verbose_name = "通报"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import (
            errors,  # noqa: F401  (its error classes join the error tree: core.errors.all_codes)
            policy,
        )

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_nav(107, "bulletins:list", "通报", policy.may_view)
