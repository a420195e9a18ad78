"""The loop's configuration page (city office): SLA table, categories, routing, calendar,
office hours and the 督办 ladder."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from wenming.core import worktime
from wenming.core.errors import ServiceError
from wenming.org.models import Unit
from wenming.org.widgets import UnitPicker

from ..escalation.sla import case_settings
from ..models import (
    CalendarOverride,
    CalendarYear,
    Category,
    EscalationStep,
    RoutingRule,
    Severity,
    SlaRule,
    SlaUnit,
)
from . import services as svc


def _category_choices(top_only: bool = False, blank: str = "全部类别") -> list[tuple[str, str]]:
    """Categories by name for a select (the value sent is still the code): first level, then its children."""
    choices = [("", blank)]
    for top in Category.objects.filter(parent__isnull=True).prefetch_related("children").order_by("code"):
        choices.append((top.code, f"{top.name}（{top.code}）"))
        if not top_only:
            choices += [(child.code, f"　{top.name} › {child.name}（{child.code}）")
                        for child in sorted(top.children.all(), key=lambda c: c.code)]
    return choices


class CategorySelectForm(forms.Form):
    """A form whose category fields are chosen from a list by name (the codes travel as values)."""

    category_fields: dict[str, tuple[bool, str]] = {}   # field → (first level only, blank label)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (top_only, blank) in self.category_fields.items():
            self.fields[name].widget = forms.Select(choices=_category_choices(top_only, blank))


class SlaForm(CategorySelectForm):
    category_fields = {"category": (False, "全部类别")}
    category = forms.CharField(label="类别（不选为全部类别）", max_length=20, required=False)
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices)
    limit = forms.IntegerField(label="时限", min_value=0, max_value=3650)
    limit_unit = forms.ChoiceField(label="单位", choices=SlaUnit.choices)
    warn_hours = forms.IntegerField(label="提前预警（工作小时）", min_value=0, max_value=2000, initial=4)


class CategoryForm(CategorySelectForm):
    category_fields = {"parent": (True, "无（一级类别）")}
    code = forms.CharField(label="编码", max_length=20)
    name = forms.CharField(label="名称", max_length=50)
    parent = forms.CharField(label="上级类别", max_length=20, required=False)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class RoutingForm(CategorySelectForm):
    category_fields = {"category": (False, "全部类别")}
    category = forms.CharField(label="类别（不选为全部类别）", max_length=20, required=False)
    area = forms.CharField(label="区域（不选为全市）", max_length=18, required=False, widget=UnitPicker)
    target = forms.CharField(label="责任单位", max_length=18, widget=UnitPicker)
    note = forms.CharField(label="说明", max_length=100, required=False)


class CalendarForm(forms.Form):
    day = forms.DateField(label="日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(label="当天", choices=[("1", "上班"), ("0", "休息")], coerce=lambda v: v == "1")
    note = forms.CharField(label="说明", max_length=50, required=False)


class YearForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=1900, max_value=2999)
    confirmed = forms.TypedChoiceField(label="调休安排", choices=[("1", "已录入"), ("0", "撤销确认")],
                                       coerce=lambda v: v == "1")


class HoursForm(forms.Form):
    morning_start = forms.TimeField(label="上午上班", widget=forms.TimeInput(attrs={"type": "time"}))
    morning_end = forms.TimeField(label="上午下班", widget=forms.TimeInput(attrs={"type": "time"}))
    afternoon_start = forms.TimeField(label="下午上班", widget=forms.TimeInput(attrs={"type": "time"}))
    afternoon_end = forms.TimeField(label="下午下班", widget=forms.TimeInput(attrs={"type": "time"}))
    recurrence_days = forms.IntegerField(label="反弹认定期（天）", min_value=1, max_value=730)
    duplicate_radius_m = forms.IntegerField(label="重复问题半径（米）", min_value=1, max_value=5000)


class StepForm(forms.Form):
    level = forms.TypedChoiceField(label="级别", coerce=int,
                                   choices=[(2, "督办单"), (3, "督办函"), (4, "通报批评")])
    grace_days = forms.IntegerField(label="整改新期限（工作日）", min_value=0, max_value=60)
    enabled = forms.BooleanField(label="启用", required=False, initial=True)


def _category(code: str) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code.strip()).first()
    if category is None:
        raise ServiceError(f"找不到编码为{code}的类别")
    return category


def _unit(code: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code.strip()).first()
    if unit is None:
        raise ServiceError(f"找不到编码为{code}的单位")
    return unit


def _spans(days) -> str:
    """Consecutive days as 2月5日—8日, separated by 、."""
    runs: list[list] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        text = f"{first.month}月{first.day}日"
        if last != first:
            text += f"—{last.day}日" if last.month == first.month else f"—{last.month}月{last.day}日"
        parts.append(text)
    return "、".join(parts)


def calendar_years(this_year: int) -> list[dict]:
    """This year and the next when the calendar library lacks them: the computed statutory
    holidays, the days the office entered, and whether it confirmed the year's 调休."""
    confirmed = {row.year: row for row in CalendarYear.objects.select_related("confirmed_by")}
    years = []
    for year in (this_year, this_year + 1):
        if not worktime.holidays_computed(year):
            continue
        by_name: dict[str, list] = {}
        for day, name in worktime.statutory_holidays(year).items():
            by_name.setdefault(name, []).append(day)
        years.append({"year": year, "confirmed": confirmed.get(year),
                      "holidays": [(name, _spans(days)) for name, days in by_name.items()],
                      "overrides": CalendarOverride.objects.filter(day__year=year).count()})
    return years


@login_required
@require_GET
def settings_page(request):
    svc.require_config(request.user)
    row = case_settings()
    from django.utils import timezone

    this_year = timezone.localtime().year
    return render(request, "cases/settings.html", {
        "sla_rules": SlaRule.objects.select_related("category").order_by("category__code", "severity"),
        "categories": Category.objects.filter(parent__isnull=True).prefetch_related("children"),
        "routing": RoutingRule.objects.select_related("category", "area", "target").order_by("id"),
        "overrides": CalendarOverride.objects.order_by("-day")[:100],
        "steps": {step.level: step for step in EscalationStep.objects.all()},
        "levels": [(2, "督办单"), (3, "督办函"), (4, "通报批评")],
        "sla_form": SlaForm(), "category_form": CategoryForm(), "routing_form": RoutingForm(),
        "calendar_form": CalendarForm(), "step_form": StepForm(),
        "hours_form": HoursForm(initial={f: getattr(row, f) for f in HoursForm.base_fields}),
        "calendar_years": calendar_years(this_year),
    })


FORMS = {"sla": SlaForm, "category": CategoryForm, "routing": RoutingForm, "calendar": CalendarForm,
         "year": YearForm, "hours": HoursForm, "step": StepForm}


@login_required
@require_POST
def settings_save(request, section: str):
    svc.require_config(request.user)
    if section not in FORMS:
        return redirect("cases:settings")
    form = FORMS[section](request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
        return redirect("cases:settings")
    data = form.cleaned_data
    actor = request.user
    try:
        if section == "sla":
            svc.sla_rule_save(actor=actor, category=_category(data["category"]), severity=data["severity"],
                              limit=data["limit"], limit_unit=data["limit_unit"], warn_hours=data["warn_hours"])
        elif section == "category":
            svc.category_save(actor=actor, code=data["code"], name=data["name"], parent=_category(data["parent"]),
                              is_active=data["is_active"])
        elif section == "routing":
            target = _unit(data["target"])
            svc.routing_rule_save(actor=actor, category=_category(data["category"]), area=_unit(data["area"]),
                                  target=target, note=data["note"])
        elif section == "calendar":
            svc.calendar_override_save(actor=actor, day=data["day"], is_workday=data["is_workday"], note=data["note"])
        elif section == "year":
            if data["confirmed"]:
                svc.calendar_year_confirm(actor=actor, year=data["year"])
            else:
                svc.calendar_year_withdraw(actor=actor, year=data["year"])
        elif section == "hours":
            svc.office_hours_save(actor=actor, **data)
        elif section == "step":
            svc.escalation_step_save(actor=actor, level=data["level"], grace_days=data["grace_days"],
                                     enabled=data["enabled"])
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已保存")
    return redirect("cases:settings")


@login_required
@require_POST
def settings_delete(request, section: str, pk: int):
    svc.require_config(request.user)
    if section == "sla":
        svc.sla_rule_delete(actor=request.user, rule=get_object_or_404(SlaRule, pk=pk))
    elif section == "routing":
        svc.routing_rule_delete(actor=request.user, rule=get_object_or_404(RoutingRule, pk=pk))
    elif section == "calendar":
        svc.calendar_override_delete(actor=request.user, override=get_object_or_404(CalendarOverride, pk=pk))
    messages.success(request, "已删除")
    return redirect("cases:settings")


