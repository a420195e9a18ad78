from django.apps import AppConfig

AUDIT_LABELS = {
    "surveys.view": "查看问卷调查", "surveys.questionnaire": "问卷", "surveys.campaign": "问卷调查",
    "surveys.response": "问卷答卷",
    "surveys.questionnaire_import": "导入问卷", "surveys.questionnaire_publish": "发布问卷",
    "surveys.questionnaire_delete": "删除问卷草稿", "surveys.campaign_create": "新建问卷调查",
    "surveys.campaign_open": "开始问卷调查", "surveys.campaign_close": "结束问卷调查",
    "surveys.response_submit": "提交问卷答卷", "surveys.response_review": "复核问卷答卷",
    "surveys.surveyors_check": "检查调查员答卷", "surveys.results": "问卷调查结果",
    "surveys.collect": "入户调查",
}


class SurveysConfig(AppConfig):
    name = "wenming.surveys"
    label = "surveys"
    verbose_name = "问卷调查"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_nav(108, "surveys:home", "问卷调查", policy.may_view)
