"""Forms of the archive pages. They read and shape input; the services check the rules."""

from __future__ import annotations

from django import forms

from wenming.plans.forms import DayField, MultipleFileField, ReviewForm  # noqa: F401  (ReviewForm: the same form)

from .models import LINK_SOURCES, MaterialType, Source


class UploadForm(forms.Form):
    unit = forms.CharField(label="单位", widget=forms.Select)   # checked in clean_unit, with its own message
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    title = forms.CharField(label="材料名称", max_length=200, help_text="如：2026年第三季度市民学校活动记录")
    happened_on = DayField(label="形成日期", required=False, help_text="活动、会议或文件印发的日期")
    note = forms.CharField(label="说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(label="材料文件", help_text="PDF、JPG、PNG、Word、Excel、PowerPoint、WPS，可多选；"
                                                      "每个不超过20MB，最多10个")

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in units}
        self.fields["unit"].widget.choices = [(str(u.pk), u.name) for u in units]
        if len(self.units) == 1:
            self.fields["unit"].widget = forms.HiddenInput()
            self.fields["unit"].initial = next(iter(self.units))
            self.fields["unit"].required = False

    def clean_unit(self):
        value = self.cleaned_data.get("unit") or (next(iter(self.units)) if len(self.units) == 1 else "")
        if value not in self.units:
            raise forms.ValidationError("请选择本单位或所辖单位")
        return self.units[value]


class RequirementForm(forms.Form):
    code = forms.CharField(label="编号", max_length=30, required=False, help_text="新增时填写，如 CS01-1")
    indicator = forms.ChoiceField(label="测评指标", required=False)
    title = forms.CharField(label="材料名称", max_length=100)
    material_type = forms.ChoiceField(label="材料类型", choices=MaterialType.choices)
    description = forms.CharField(label="要求说明", max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    min_count = forms.IntegerField(label="最少份数", min_value=1, max_value=100, initial=1)
    years = forms.IntegerField(label="时段（年度数）", min_value=0, max_value=10, initial=1,
                               help_text="0＝长期有效（如制度、名册）；1＝当年；2＝近两年度（含当年），依此类推")
    due_date = DayField(label="完成时限", required=False, help_text="到期前7天和到期当天提醒材料未齐的单位")
    point_types = forms.MultipleChoiceField(label="适用点位类型", required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text="负责这些类型点位的单位须准备本材料；都不选则为本创建办自己的材料")
    auto_sources = forms.MultipleChoiceField(label="自动归集", required=False, widget=forms.CheckboxSelectMultiple,
                                             choices=[(s.value, s.label) for s in Source if s in LINK_SOURCES])
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, point_types=(), indicators=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.types = {str(t.pk): t for t in point_types}
        self.fields["point_types"].choices = [(str(t.pk), t.name) for t in point_types]
        self.indicators = {str(i.pk): i for i in (indicators or [])}
        if indicators is None:
            del self.fields["indicator"]
            del self.fields["code"]
        else:
            self.fields["indicator"].choices = [("", "请选择")] + [(str(i.pk), f"{i.code} {i.name}")
                                                                 for i in indicators]
            self.fields["indicator"].required = True
            self.fields["code"].required = True

    def clean_point_types(self):
        return [self.types[v] for v in self.cleaned_data.get("point_types") or [] if v in self.types]

    def clean_indicator(self):
        value = self.cleaned_data.get("indicator")
        if value not in self.indicators:
            raise forms.ValidationError("请选择测评指标")
        return self.indicators[value]
