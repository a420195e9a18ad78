from django import forms
from django.utils import timezone

from wenming.standards.models import IndexSystem, SystemStatus

from .models import DEFAULT_MIN_SAMPLE, MAX_MIN_SAMPLE, RoundKind, SampleMode


class RoundForm(forms.Form):
    title = forms.CharField(label="轮次名称", max_length=100, help_text="如“第47周测评”“11月暗访”")
    kind = forms.ChoiceField(label="类型", choices=RoundKind.choices,
                             help_text="复查只抽取测评范围内有“待复核”测评问题的点位，只测评这些问题对应的检查项")
    system = forms.ModelChoiceField(label="测评体系", queryset=IndexSystem.objects.none(), empty_label=None)
    owner = forms.ModelChoiceField(label="组织单位", queryset=None, empty_label=None,
                                   help_text="自查时为本单位")
    scope = forms.ModelMultipleChoiceField(label="测评范围", queryset=None,
                                           help_text="所选单位及其下级单位负责的点位")
    period_start = forms.DateField(label="开始日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    period_end = forms.DateField(label="结束日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    sample_mode = forms.ChoiceField(label="抽样方式", choices=SampleMode.choices)
    sample_seed = forms.IntegerField(label="抽样种子", required=False, min_value=1, max_value=2**31,
                                     help_text="留空则随机生成；记下种子可重现同一样本")
    min_sample = forms.IntegerField(label="排名最少样本点位数", required=False, min_value=1, max_value=MAX_MIN_SAMPLE,
                                    help_text="同类同项排名：已测点位少于此数的单位列在同类单位之后，标明“样本不足”，不参与排名。"
                                              "默认为“测评设置”中的值（留空亦同）；发布结果前可在轮次页面修改")
    groups = forms.ModelMultipleChoiceField(label="督查组", queryset=None, required=False,
                                            help_text="可不选。抽样后“分配督查组”默认选中这些组；复制上一轮时一并复制")

    def __init__(self, *args, units, point_types, office_paths=(), min_sample=DEFAULT_MIN_SAMPLE, groups=None,
                 **kwargs):
        """``office_paths``: the user's 创建办 units; elsewhere (a handler's unit) only a 自查.
        ``groups``: the 督查组 offered (selectors.plannable_groups); the field is left out without any."""
        super().__init__(*args, **kwargs)
        self.point_types = point_types
        self.office_paths = list(office_paths)
        if not self.office_paths:
            self.fields["kind"].choices = [(RoundKind.SELF_CHECK, RoundKind.SELF_CHECK.label)]
            self.fields["kind"].help_text = "经办人只能组织本单位的自查"
            self.fields["kind"].error_messages["invalid_choice"] = "您只能新建“自查”轮次"
        self.fields["system"].queryset = IndexSystem.objects.filter(status=SystemStatus.ACTIVE).order_by("-created_at")
        self.fields["owner"].queryset = _units(units)
        self.fields["scope"].queryset = _units(units)
        self.fields["scope"].widget.attrs["size"] = 8
        group_count = groups.count() if groups is not None else 0
        if not group_count:
            del self.fields["groups"]
        else:
            self.fields["groups"].queryset = groups
            self.fields["groups"].label_from_instance = lambda team: f"{team.name}（{team.unit.name}）"
            self.fields["groups"].widget.attrs["size"] = min(6, max(2, group_count))
        today = timezone.localdate()
        self.fields["period_start"].initial = today
        self.fields["period_end"].initial = today + timezone.timedelta(days=6)
        self.fields["min_sample"].initial = min_sample
        for point_type in point_types:
            self.fields[f"size_{point_type.code}"] = forms.IntegerField(
                label=f"{point_type.name}抽样数", required=False, min_value=0, max_value=10000)
            self.fields[f"weight_{point_type.code}"] = forms.DecimalField(
                label=f"{point_type.name}权重", required=False, min_value=0, max_value=100, decimal_places=2)

    def clean(self):
        data = super().clean()
        kind, owner = data.get("kind"), data.get("owner")
        if kind and owner and kind != RoundKind.SELF_CHECK \
                and not any(owner.path.startswith(path) for path in self.office_paths):
            self.add_error("kind", f"您不是“{owner.name}”或其上级的创建办，只能为它组织“自查”")
        return data

    def sizes(self, prefix: str) -> dict:
        return {t.code: self.cleaned_data[f"{prefix}_{t.code}"] for t in self.point_types
                if self.cleaned_data.get(f"{prefix}_{t.code}") not in (None, "")}

    def base_fields_list(self):
        return [self[name] for name in ("title", "kind", "system", "owner", "scope", "period_start", "period_end",
                                        "sample_mode", "sample_seed", "min_sample", "groups") if name in self.fields]

    def type_rows(self):
        return [(t, self[f"size_{t.code}"], self[f"weight_{t.code}"]) for t in self.point_types]


def _units(units):
    from wenming.org.models import Unit

    return Unit.objects.filter(pk__in=[unit.pk for unit in units]).order_by("path")
