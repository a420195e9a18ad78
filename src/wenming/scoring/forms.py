"""Forms of assessment pages. They read and shape input; the rules are checked by the services."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from wenming.org.forms import ScopedForm, UnitCodeField
from wenming.org.models import UnitKind

from .metrics import PARAM_FIELDS
from .models import AdjustmentKind, LedgerKind, ListMode, Metric, NegativeEffect, PeriodKind
from .services import SchemeRules, assessable_kinds

DECIMAL = {"max_digits": 7, "decimal_places": 2}


class SchemeNewForm(ScopedForm):
    root = UnitCodeField(label="考核范围（在此单位之下）")
    unit_kind = forms.ChoiceField(label="被考核单位类型", choices=assessable_kinds())
    parent_kind = forms.ChoiceField(label="部门所属层级", required=False,
                                    choices=[("", "不限")] + [(k, label) for k, label in UnitKind.choices
                                                            if k in (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET)],
                                    help_text="仅对职能部门有意义：如“市”表示市直部门")
    name = forms.CharField(label="方案名称", max_length=100, required=False,
                           help_text="不填则按“范围+单位类型+考核方案”命名")


class SchemeRulesForm(forms.Form):
    name = forms.CharField(label="方案名称", max_length=100)
    period_kinds = forms.MultipleChoiceField(label="考核周期", choices=PeriodKind.choices,
                                             widget=forms.CheckboxSelectMultiple)
    min_sample = forms.IntegerField(label="排名最少测评点位数", min_value=0, max_value=100)
    red_mode = forms.ChoiceField(label="红旗榜评定", choices=ListMode.choices, required=False)
    red_value = forms.DecimalField(label="红旗榜前几名或分数线（≥）", min_value=0, max_value=1000, **DECIMAL)
    yellow_mode = forms.ChoiceField(label="黄牌榜评定", choices=ListMode.choices, required=False)
    yellow_value = forms.DecimalField(label="黄牌榜后几名或分数线（<）", min_value=0, max_value=1000, **DECIMAL)
    escalate_after = forms.IntegerField(label="连续几次黄牌启动问责", min_value=1, max_value=12)
    escalation_steps = forms.CharField(label="问责步骤（依次，用顿号或逗号分隔）", max_length=130)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for metric, label in Metric.choices:
            self.fields[f"weight_{metric}"] = forms.DecimalField(label=f"{label}分值", required=False, min_value=0,
                                                                 max_value=100, **DECIMAL)
        for metric, fields_ in PARAM_FIELDS.items():
            for key, label, low, high in fields_:
                self.fields[f"{metric}_{key}"] = forms.DecimalField(label=label, min_value=low, max_value=high,
                                                                   **DECIMAL)

    @classmethod
    def initial_for(cls, scheme) -> dict:
        initial = {"name": scheme.name, "period_kinds": scheme.period_kinds, "min_sample": scheme.min_sample,
                   "red_mode": scheme.red_mode, "red_value": scheme.red_value, "yellow_mode": scheme.yellow_mode,
                   "yellow_value": scheme.yellow_value, "escalate_after": scheme.escalate_after,
                   "escalation_steps": "、".join(scheme.escalation_steps)}
        for component in scheme.components.all():
            initial[f"weight_{component.metric}"] = component.weight
            for key, *_ in PARAM_FIELDS.get(component.metric, []):
                if key in component.params:
                    initial[f"{component.metric}_{key}"] = Decimal(str(component.params[key]))
        return initial

    def rules(self, scheme) -> SchemeRules:
        data = self.cleaned_data
        params = {c.metric: dict(c.params) for c in scheme.components.all()}
        for metric, fields_ in PARAM_FIELDS.items():
            for key, *_ in fields_:
                if data.get(f"{metric}_{key}") is not None:
                    params.setdefault(metric, {})[key] = data[f"{metric}_{key}"]
        steps = data["escalation_steps"].replace("，", "、").replace(",", "、").split("、")
        return SchemeRules(
            name=data["name"], period_kinds=list(data["period_kinds"]), min_sample=data["min_sample"],
            red_mode=data.get("red_mode") or "", red_value=data["red_value"], yellow_mode=data.get("yellow_mode") or "",
            yellow_value=data["yellow_value"], escalate_after=data["escalate_after"], escalation_steps=steps,
            weights={m: data[f"weight_{m}"] for m in Metric.values if data.get(f"weight_{m}")}, params=params)


class CloseForm(forms.Form):
    kind = forms.ChoiceField(label="考核周期", choices=PeriodKind.choices)
    day = forms.DateField(label="考核期内任一天", widget=forms.DateInput(attrs={"type": "date"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200)


class AdjustmentForm(ScopedForm):
    unit = UnitCodeField(label="单位")
    kind = forms.ChoiceField(label="类别", choices=AdjustmentKind.choices)
    occurred_on = forms.DateField(label="发生日期", widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label="事项", max_length=100)
    source = forms.CharField(label="来源（如：省测评反馈、某媒体曝光）", max_length=100, required=False)
    points = forms.DecimalField(label="扣分或加分（分）", min_value=0, max_value=100, required=False, **DECIMAL)
    effect = forms.ChoiceField(label="负面清单后果", choices=NegativeEffect.choices, required=False)
    cap = forms.DecimalField(label="封顶分数", min_value=0, max_value=100, required=False, **DECIMAL)
    description = forms.CharField(label="情况说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class LedgerForm(ScopedForm):
    unit = UnitCodeField(label="单位")
    kind = forms.ChoiceField(label="类别", choices=LedgerKind.choices)
    amount = forms.DecimalField(label="金额或分值", required=False, max_digits=10, decimal_places=2,
                                min_value=Decimal("-99999999"), max_value=Decimal("99999999"))
    note = forms.CharField(label="说明", max_length=200)
