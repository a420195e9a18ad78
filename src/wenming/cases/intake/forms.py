"""The report form (报告问题)."""

import re

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
            raise forms.ValidationError("所选位置不存在，或不在您可以报告的范围内，请重新定位或按名称查找")
        return unit


MOBILE = re.compile(r"^1[3-9]\d{9}$")


class ReportForm(forms.Form):
    """The report form. The place is never typed: ``area`` is filled from the phone's location,
    a point picked on the plan view or a name search (``intake.locate``); citizens and
    volunteers see neither 严重程度 nor 来源 (``policy.may_classify_report``) and may leave a
    mobile number for their receipt and progress texts."""

    title = forms.CharField(label="问题标题", max_length=100)
    category = forms.TypedChoiceField(label="类别", coerce=int)
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices, initial=Severity.NORMAL)
    source = forms.ChoiceField(label="来源", choices=[("", "按我的角色自动判断")] + list(Source.choices),
                               required=False)
    area = AreaField(label="所在位置", max_length=18, widget=forms.HiddenInput,
                     error_messages={"required": "请确定问题所在位置：允许手机定位，或在示意图上点选，或按名称查找"})
    address = forms.CharField(label="地址或位置描述", max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": "如：人民路88号门口、XX小区3栋旁"}))
    latitude = forms.DecimalField(label="纬度", max_digits=9, decimal_places=6, required=False,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(label="经度", max_digits=9, decimal_places=6, required=False,
                                   widget=forms.HiddenInput)
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    reporter_phone = forms.CharField(label="手机号（选填，用于接收受理回执和办理进度短信）", max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["area"].user = user
        self.classifies = policy.may_classify_report(user)
        if self.classifies:
            del self.fields["reporter_phone"]
        else:
            del self.fields["severity"]
            del self.fields["source"]

    def clean_category(self):
        category = Category.objects.filter(pk=self.cleaned_data["category"], is_active=True).first()
        if category is None:
            raise forms.ValidationError("请选择类别")
        return category

    def clean_reporter_phone(self):
        phone = self.cleaned_data["reporter_phone"].strip().replace(" ", "").replace("-", "")
        if phone and not MOBILE.match(phone):
            raise forms.ValidationError("请填写11位手机号码，或不填")
        return phone

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("area", "定位不完整，请重新定位或在示意图上点选")
        return data

    def intake_values(self) -> dict:
        """The cleaned data as ``services.Intake``'s fields."""
        data = self.cleaned_data
        return {"title": data["title"], "category": data["category"], "area": data["area"],
                "description": data["description"], "severity": data.get("severity") or Severity.NORMAL,
                "source": data.get("source") or "", "address": data["address"], "latitude": data["latitude"],
                "longitude": data["longitude"], "reporter_phone": data.get("reporter_phone") or ""}
