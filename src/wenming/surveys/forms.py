"""Forms of the survey pages. They read and shape input; the services check the rules."""

from __future__ import annotations

from django import forms

from wenming.plans.forms import DayField

from .models import CampaignMode, QuotaRule


class QuestionnaireImportForm(forms.Form):
    file = forms.FileField(label="问卷文件（.yaml、.xlsx 或 .csv）")
    code = forms.CharField(label="问卷编号", max_length=20, required=False,
                           help_text="Excel/CSV 文件填写（YAML 文件内已有）；与已有问卷相同则导入为其新版本")
    title = forms.CharField(label="问卷名称", max_length=100, required=False, help_text="Excel/CSV 文件填写")
    intro = forms.CharField(label="开头语", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CampaignForm(forms.Form):
    title = forms.CharField(label="调查名称", max_length=100, help_text="如：2026年第四季度群众满意度入户调查")
    scope = forms.ChoiceField(label="调查范围")
    questionnaire = forms.ChoiceField(label="问卷")
    mode = forms.ChoiceField(label="调查方式", choices=CampaignMode.choices,
                             help_text="模拟调查用于培训调查员，结果单独标注，从不计入正式数据")
    starts_on = DayField(label="开始日期")
    ends_on = DayField(label="结束日期")
    quota_rule = forms.ChoiceField(label="样本分配", choices=QuotaRule.choices)
    quota_value = forms.IntegerField(label="样本量", min_value=1, max_value=1_000_000, initial=20,
                                     help_text="按人口分配时为总样本量；固定份数时为每个社区的份数（如每个包联区域20份）")
    min_seconds = forms.IntegerField(label="最短答题时长（秒）", min_value=0, max_value=3600, initial=60,
                                     help_text="用时更短的答卷标为“答题过快”，复核后才计入")

    def __init__(self, *args, scopes=(), questionnaires=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes = {str(u.pk): u for u in scopes}
        self.questionnaires = {str(q.pk): q for q in questionnaires}
        self.fields["scope"].choices = [(k, u.name) for k, u in self.scopes.items()]
        self.fields["questionnaire"].choices = [(k, str(q)) for k, q in self.questionnaires.items()]

    def clean_scope(self):
        value = self.cleaned_data.get("scope")
        if value not in self.scopes:
            raise forms.ValidationError("请选择调查范围")
        return self.scopes[value]

    def clean_questionnaire(self):
        value = self.cleaned_data.get("questionnaire")
        if value not in self.questionnaires:
            raise forms.ValidationError("请选择已发布的问卷")
        return self.questionnaires[value]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="复核结果", choices=[("count", "有效，计入"), ("exclude", "剔除")])
    note = forms.CharField(label="复核意见", max_length=200, required=False)
