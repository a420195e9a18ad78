from django.apps import AppConfig

AUDIT_LABELS = {
    "cases.action": "办理问题", "cases.configure": "整改设置", "cases.ledger": "问题台账", "cases.metrics": "整改指标",
    "cases.mine": "本单位问题", "cases.notices": "督办文书", "cases.problem_import": "导入问题清单",
    "cases.report": "报告问题", "cases.reported": "我反映的问题", "cases.todo": "待办", "cases.verify": "待复核",
    "cases.calendar_save": "保存节假日调整", "cases.calendar_delete": "删除节假日调整",
    "cases.calendar_year_confirm": "确认全年调休已录入", "cases.calendar_year_withdraw": "撤销全年调休确认",
    "cases.category_save": "保存问题类别", "cases.escalation_save": "保存督办步骤", "cases.routing_save": "保存分派规则",
    "cases.routing_delete": "删除分派规则", "cases.settings_save": "保存办公时间和查重设置", "cases.sla_save": "保存办理时限",
    "cases.sla_delete": "删除办理时限",
}


class CasesConfig(AppConfig):
    name = "wenming.cases"
    label = "cases"
    verbose_name = "问题整改"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import (
            policy,
            selectors,
            timeline,  # noqa: F401  (registers the timeline's hash chain with core.chain)
        )
        from .api import register_token_permissions
        from .ledger import selectors as ledger_selectors
        from .settings import config  # noqa: F401  (connects the receivers that keep its cache valid)
        from .workflow.machine import TRANSITIONS

        register_token_permissions()
        extensions.register_audit_labels({**AUDIT_LABELS, **{f"cases.{t.action}": t.label for t in TRANSITIONS}})
        extensions.register_photo_viewer(selectors.photo_visible)
        extensions.register_home_attention(ledger_selectors.home_attention)
        for order, url_name, label, may in [
            (10, "cases:todo", "待办", policy.may_view_office_todo),
            (20, "cases:mine", "本单位问题", policy.may_view_unit_list),
            (30, "cases:verify", "待复核", policy.may_view_verify_list),
            (40, "cases:ledger", "问题台账", policy.may_view_ledger),
            (50, "cases:metrics", "整改指标", policy.may_view_metrics),
            (60, "cases:notices", "督办文书", policy.may_view_notices),
            (70, "cases:report", "报告问题", policy.may_report),
            (75, "cases:reported", "我反映的问题", policy.may_view_reported),
            (80, "cases:notifications", "消息", lambda user: True),
            (150, "cases:settings", "整改设置", policy.may_edit_settings),
        ]:
            extensions.register_nav(order, url_name, label, may)
