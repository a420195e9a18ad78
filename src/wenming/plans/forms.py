"""Forms of the work-plan pages. They read and shape input; the services check the rules."""

from __future__ import annotations

from django import forms

from wenming.core.errors import ValidationFailed
from wenming.core.parsing import parse_day

from .models import Cadence, MeetingKind, Source
from .targets import TargetInvalid, parse_target

TEXTAREA = forms.Textarea(attrs={"rows": 3})
DATE = forms.TextInput(attrs={"type": "date"})


class DayField(forms.CharField):
    """A day typed as 2026-06-30 or 2026年6月30日 (the browser's date picker sends the first)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DATE)
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_day(text, label=self.label)
        except ValidationFailed as error:
            raise forms.ValidationError(error.message) from None


class PlanForm(forms.Form):
    owner = forms.ChoiceField(label="制定单位")
    title = forms.CharField(label="方案名称", max_length=200, help_text="如：2026年创建全国文明城市工作方案")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    end_year = forms.IntegerField(label="截止年度", min_value=2000, max_value=2110, required=False,
                                  help_text="多年的方案（如三年攻坚）填最后一年；一年期的方案不填")
    doc_number = forms.CharField(label="文号", max_length=60, required=False, help_text="如：测创文办发〔2026〕1号")
    system = forms.ChoiceField(label="测评体系", required=False, help_text="任务可关联其中的测评指标")
    body = forms.CharField(label="方案说明", max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, owners=(), systems=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = {str(u.pk): u for u in owners}
        self.systems = {str(s.pk): s for s in systems}
        self.fields["owner"].choices = [(str(u.pk), u.name) for u in owners]
        self.fields["system"].choices = [("", "（不关联）")] + [(str(s.pk), str(s)) for s in systems]
        self.fields["files"] = MultipleFileField(label="方案文件", required=False,
                                                 help_text="印发的方案正文（PDF或Word）及附件，可多选")
        if len(self.owners) == 1:
            self.fields["owner"].widget = forms.HiddenInput()
            self.fields["owner"].initial = next(iter(self.owners))
            self.fields["owner"].required = False

    def clean_owner(self):
        value = self.cleaned_data.get("owner") or (next(iter(self.owners)) if len(self.owners) == 1 else "")
        if value not in self.owners:
            raise forms.ValidationError("请选择制定单位")
        return self.owners[value]

    def clean_system(self):
        value = self.cleaned_data.get("system") or ""
        if value and value not in self.systems:
            raise forms.ValidationError("请选择测评体系")
        return self.systems.get(value)


class StageForm(forms.Form):
    name = forms.CharField(label="阶段名称", max_length=40, help_text="如：宣传发动、整改提高、迎接检查")
    start = DayField(label="开始日期")
    end = DayField(label="结束日期")
    cadence = forms.ChoiceField(label="进度报送", choices=Cadence.choices, initial=Cadence.WEEKLY)


class TaskForm(forms.Form):
    seq = forms.IntegerField(label="序号", min_value=1, max_value=99999)
    stage = forms.ChoiceField(label="阶段", required=False)
    indicators = forms.CharField(label="测评项目/指标", max_length=500, required=False,
                                 help_text="填指标编码或名称，多个用顿号分隔")
    content = forms.CharField(label="任务内容", max_length=2000, widget=TEXTAREA)
    standard = forms.CharField(label="工作标准", max_length=2000, required=False, widget=TEXTAREA)
    leads = forms.CharField(label="牵头单位", max_length=500, required=False,
                            help_text="单位名称或编码，多个用顿号分隔")
    responsible = forms.CharField(label="责任单位", max_length=2000,
                                  help_text="单位名称或编码，多个用顿号分隔；也可填“各街道”“各社区”等")
    person = forms.CharField(label="责任人", max_length=100, required=False)
    deadline = DayField(label="完成时限", required=False)
    target = forms.CharField(label="目标值", max_length=100, required=False,
                             help_text="如：注册志愿者占比≥10%、主干道亮灯率=100%")
    weight = forms.DecimalField(label="权重", min_value=0.01, max_value=100, decimal_places=2, max_digits=6,
                                initial=1)
    source = forms.ChoiceField(label="实测值来源", choices=Source.choices, required=False,
                               help_text="平台已有的数据（问题按期办结率、点位达标率等）由系统计算，不需单位填报")

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stages = {str(s.pk): s for s in stages}
        self.fields["stage"].choices = [("", "（不分阶段）")] + [(str(s.pk), s.name) for s in stages]

    def clean_stage(self):
        value = self.cleaned_data.get("stage") or ""
        if value and value not in self.stages:
            raise forms.ValidationError("请选择本方案的阶段")
        return self.stages.get(value)

    def clean_target(self):
        try:
            return parse_target(self.cleaned_data.get("target") or "")
        except TargetInvalid as error:
            raise forms.ValidationError(str(error)) from None


class ImportForm(forms.Form):
    file = forms.FileField(label="任务分解表（.xlsx 或 .csv）")


class IssueForm(forms.Form):
    sms = forms.BooleanField(label="同时发送短信提醒", required=False, initial=True)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (the services check each by its content)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    percent = forms.IntegerField(label="完成进度（%）", min_value=0, max_value=100)
    measured = forms.CharField(label="实测值", max_length=30, required=False,
                               help_text="与目标值同一计量单位，如目标“注册志愿者占比≥10%”填 8.5")
    narrative = forms.CharField(label="工作进展", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label="佐证材料", required=False,
                              help_text="PDF、图片、Word、Excel等，可多选；每个不超过20MB，最多10个")


class ReviewForm(forms.Form):
    note = forms.CharField(label="审核意见（退回时必填）", max_length=200, required=False)


class MeetingForm(forms.Form):
    owner = forms.ChoiceField(label="召开单位")
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    title = forms.CharField(label="会议名称", max_length=200, help_text="如：全市创文工作第12次调度会")
    held_on = DayField(label="召开日期")
    place = forms.CharField(label="地点", max_length=100, required=False)
    chair = forms.CharField(label="主持人", max_length=100, required=False)
    attendees = forms.CharField(label="参会人员", max_length=2000, required=False, widget=TEXTAREA)
    minutes = forms.CharField(label="会议纪要", max_length=20000, required=False,
                              widget=forms.Textarea(attrs={"rows": 8}))
    files = MultipleFileField(label="附件", required=False, help_text="会议纪要、签到表、照片等，可多选")

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = {str(u.pk): u for u in owners}
        self.fields["owner"].choices = [(str(u.pk), u.name) for u in owners]
        if len(self.owners) == 1:
            self.fields["owner"].widget = forms.HiddenInput()
            self.fields["owner"].initial = next(iter(self.owners))
            self.fields["owner"].required = False

    def clean_owner(self):
        value = self.cleaned_data.get("owner") or (next(iter(self.owners)) if len(self.owners) == 1 else "")
        if value not in self.owners:
            raise forms.ValidationError("请选择召开单位")
        return self.owners[value]


class DecisionForm(TaskForm):
    """A decision of a meeting, as a task of one of the plans the office manages."""

    plan = forms.ChoiceField(label="列入工作方案")
    field_order = ["plan", "content", "standard", "leads", "responsible", "person", "deadline", "target", "weight",
                   "source"]

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["seq"], self.fields["stage"], self.fields["indicators"]
        self.plans = {str(p.pk): p for p in plans}
        self.fields["plan"].choices = [(str(p.pk), f"{p.year}年 {p.title}") for p in plans]
        self.order_fields(self.field_order)

    def clean_plan(self):
        value = self.cleaned_data.get("plan") or ""
        if value not in self.plans:
            raise forms.ValidationError("请选择工作方案")
        return self.plans[value]
