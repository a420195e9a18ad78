from django.apps import AppConfig

AUDIT_LABELS = {
    "inspections.configure": "测评设置", "inspections.settings_save": "修改测评设置",
    "inspections.round_min_sample": "修改排名最少样本点位数",
    "inspections.inspect": "现场测评", "inspections.result": "查看测评结果", "inspections.round": "测评轮次",
    "inspections.round_action": "测评轮次操作", "inspections.round_assign": "分配测评任务",
    "inspections.round_close": "结束测评轮次", "inspections.round_create": "新建测评轮次",
    "inspections.round_open": "开始测评轮次", "inspections.round_point": "轮次点位",
    "inspections.round_publish": "发布测评结果", "inspections.round_reassign": "改派测评任务",
    "inspections.round_sample": "抽取点位", "inspections.submit": "提交测评", "inspections.view": "查看督查测评",
}


class InspectionsConfig(AppConfig):
    name = "wenming.inspections"
    label = "inspections"
    verbose_name = "督查测评"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_nav(90, "inspections:mine", "我的测评", policy.may_view_assignments)
        extensions.register_nav(100, "inspections:list", "督查测评", policy.may_view_rounds)
