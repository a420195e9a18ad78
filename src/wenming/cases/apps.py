from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wenming.cases"
    label = "cases"
    verbose_name = "问题整改"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy, selectors
        from . import timeline  # noqa: F401  (registers the timeline's hash chain with core.chain)
        from .api import register_token_permissions
        from .ledger import selectors as ledger_selectors
        from .settings import config  # noqa: F401  (connects the receivers that keep its cache valid)

        register_token_permissions()
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
