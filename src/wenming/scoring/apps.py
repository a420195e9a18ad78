from django.apps import AppConfig

AUDIT_LABELS = {
    "scoring.view": "查看考核排名", "scoring.scheme_create": "新建考核方案", "scoring.scheme_update": "修改考核方案",
    "scoring.scheme_activate": "施行考核方案", "scoring.scheme_new_version": "生成考核方案新版本",
    "scoring.period_close": "关闭考核期", "scoring.period_reopen": "重新开启考核期",
    "scoring.adjustment_add": "录入加减分事项", "scoring.adjustment_withdraw": "撤销加减分事项",
    "scoring.step_decide": "决定黄牌问责措施", "scoring.ledger_add": "记入奖惩台账", "scoring.scheme": "考核方案", "scoring.period": "考核期",
    "scoring.score": "考核得分", "scoring.step": "问责建议", "scoring.adjustment": "加减分事项",
}


class ScoringConfig(AppConfig):
    name = "wenming.scoring"
    label = "scoring"
    verbose_name = "考核排名"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_nav(105, "scoring:list", "考核排名", policy.may_view)
