"""The report form (报告问题)."""

from django import forms

from wenming.org.models import Unit

from .. import policy
from ..models import Category, Severity, Source


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def category_choices():
    """Second-level categories grouped under their first level (an <optgroup> each)."""
    groups = {}
    for category in Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent"):
        groups.setdefault(category.parent.name, []).append((category.pk, category.name))
    return [("", "请选择类别")] + list(groups.items())


class AreaField(forms.CharField):
    """The place's unit, by code; only units under one of the reporter's units."""

    user = None

    def clean(self, value):
        code = (super().clean(value) or "").strip()
        if not code:
            return None
        unit = Unit.objects.filter(code=code, is_active=True).first()
        if unit is None or policy.may_report_in(self.user, unit) is None:
            raise forms.ValidationError(f"找不到编码为{code}的区域，或不在您可以报告的范围内")
        return unit


class ReportForm(forms.Form):
    title = forms.CharField(label="问题标题", max_length=100)
    category = forms.TypedChoiceField(label="类别", coerce=int)
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices, initial=Severity.NORMAL)
    source = forms.ChoiceField(label="来源", choices=[("", "按我的角色自动判断")] + list(Source.choices),
                               required=False)
    area = AreaField(label="所在区域（社区/网格编码）", max_length=18)
    address = forms.CharField(label="地址", max_length=200, required=False)
    latitude = forms.DecimalField(label="纬度", max_digits=9, decimal_places=6, required=False,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(label="经度", max_digits=9, decimal_places=6, required=False,
                                   widget=forms.HiddenInput)
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["area"].user = user

    def clean_category(self):
        category = Category.objects.filter(pk=self.cleaned_data["category"], is_active=True).first()
        if category is None:
            raise forms.ValidationError("请选择类别")
        return category
