from django.apps import AppConfig

AUDIT_LABELS = {
    "archives.view": "查看创城档案", "archives.requirement": "材料要求", "archives.unit": "档案单位",
    "archives.evidence": "档案材料", "archives.evidence_file": "档案材料文件",
    "archives.requirements_derive": "从测评体系生成材料要求", "archives.requirement_save": "保存材料要求",
    "archives.evidence_upload": "上传档案材料", "archives.evidence_review": "审核档案材料",
    "archives.evidence_withdraw": "撤回档案材料", "archives.matrix": "档案完整度矩阵",
    "archives.readiness": "迎检准备情况", "archives.collect": "归集平台内材料", "archives.package": "导出网上申报材料包",
}


class ArchivesConfig(AppConfig):
    name = "wenming.archives"
    label = "archives"
    verbose_name = "创城档案"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_nav(106, "archives:home", "创城档案", policy.may_view)
