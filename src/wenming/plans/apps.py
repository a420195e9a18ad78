from django.apps import AppConfig

AUDIT_LABELS = {
    "plans.view": "查看工作方案", "plans.plan": "工作方案", "plans.task": "任务", "plans.assignment": "任务分工",
    "plans.plan_create": "新建工作方案", "plans.plan_update": "修改工作方案", "plans.stage_save": "保存方案阶段",
    "plans.stage_delete": "删除方案阶段", "plans.task_save": "保存任务", "plans.task_delete": "删除任务",
    "plans.tasks_import": "导入任务分解表", "plans.plan_issue": "下发工作方案", "plans.task_sign": "签收任务",
    "plans.report_submit": "报送任务进度", "plans.report_review": "审核进度报告", "plans.report": "进度报告",
    "plans.report_file": "佐证材料", "plans.meetings": "会议", "plans.meeting": "会议",
    "plans.meeting_file": "会议附件", "plans.plan_file": "方案文件",
    "plans.task_notice": "任务逾期下发督办单", "plans.task_letter": "任务逾期下发督办函",
    "plans.task_bulletin": "任务列入通报批评", "plans.meeting_save": "记录会议", "plans.decision_add": "议定事项列入方案",
}


class PlansConfig(AppConfig):
    name = "wenming.plans"
    label = "plans"
    verbose_name = "工作方案"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_nav(104, "plans:list", "工作方案", policy.may_view)
