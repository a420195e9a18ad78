"""Assessment (考核, DESIGN.md §8): schemes that say how a unit's period score is made, the periods
an office closes, the scores it stored, the events that add or cost points, the 黄牌 escalation
steps and the reward/penalty ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from wenming.core.models import TimeStampedModel
from wenming.org.models import UnitKind


class PeriodKind(models.TextChoices):
    WEEK = "week", "周"
    MONTH = "month", "月"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年"


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ACTIVE = "active", "施行中"
    RETIRED = "retired", "已停用"


class ListMode(models.TextChoices):
    NONE = "", "不设"
    RANK = "rank", "按名次"          # 红旗: the first N; 黄牌: the last N
    THRESHOLD = "threshold", "按分数线"  # 红旗: ≥ value; 黄牌: < value


class Metric(models.TextChoices):
    INSPECTION = "inspection", "实地测评"
    RECTIFICATION = "rectification", "问题整改"
    SUPERVISION = "supervision", "督办"
    TASKS = "tasks", "任务完成"
    SURVEY = "survey", "问卷调查"
    VOLUNTEER = "volunteer", "志愿服务"


class Scheme(TimeStampedModel):
    """考核方案: which units are assessed (the peers: units of one kind under ``root``; departments also
    by the kind of unit they serve), over which periods, and how (:class:`Component`, rules below).
    Versioned like an index system: a draft is edited, activating it retires the version it replaces,
    and an active scheme is changed only by a new version, so a closed period's rules never move."""

    name = models.CharField("方案名称", max_length=100)
    version = models.PositiveSmallIntegerField("版本", default=1)
    previous = models.ForeignKey("self", verbose_name="上一版本", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    owner = models.ForeignKey("org.Unit", verbose_name="制定单位", on_delete=models.PROTECT, related_name="+")
    owner_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    root = models.ForeignKey("org.Unit", verbose_name="考核范围", on_delete=models.PROTECT, related_name="+")
    root_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    unit_kind = models.CharField("被考核单位类型", max_length=12, choices=UnitKind.choices)
    # departments: the kind of unit they belong to (市直部门: "city"); "" for any
    parent_kind = models.CharField("上级单位类型", max_length=12, choices=UnitKind.choices, blank=True)
    period_kinds = models.JSONField("考核周期", default=list)
    min_sample = models.PositiveSmallIntegerField("排名最少测评点位数", default=3)
    red_mode = models.CharField("红旗榜", max_length=10, choices=ListMode.choices, default=ListMode.RANK, blank=True)
    red_value = models.DecimalField("红旗榜名次或分数线", max_digits=6, decimal_places=2, default=3)
    yellow_mode = models.CharField("黄牌榜", max_length=10, choices=ListMode.choices, default=ListMode.RANK,
                                   blank=True)
    yellow_value = models.DecimalField("黄牌榜名次或分数线", max_digits=6, decimal_places=2, default=3)
    escalate_after = models.PositiveSmallIntegerField("连续黄牌次数触发问责", default=2)
    escalation_steps = models.JSONField("黄牌问责步骤", default=list)
    status = models.CharField("状态", max_length=8, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")
    activated_at = models.DateTimeField("施行时间", null=True, blank=True)

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["root_path", "unit_kind", "-version"]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"


def lineage_q(scheme: Scheme, prefix: str = "scheme__") -> Q:
    """Periods of the same peers, whichever version of the scheme closed them: trends and the 黄牌
    history run across versions."""
    return Q(**{f"{prefix}root_id": scheme.root_id, f"{prefix}unit_kind": scheme.unit_kind,
                f"{prefix}parent_kind": scheme.parent_kind})


class Component(models.Model):
    """One part of the score: a named metric over the period, worth ``weight`` of 100 points.
    ``params`` holds the metric's own rules (the sub-weights and per-event deductions of
    :mod:`wenming.scoring.metrics`)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="components")
    metric = models.CharField("指标", max_length=16, choices=Metric.choices)
    weight = models.DecimalField("分值", max_digits=5, decimal_places=2)
    params = models.JSONField("计分规则", default=dict, blank=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "metric"], name="scoring_component_once")]


class PeriodStatus(models.TextChoices):
    OPEN = "open", "未关闭"
    CLOSED = "closed", "已关闭"


class Period(models.Model):
    """A week, month, quarter or year of one scheme. Closing it computes and stores every unit's
    score (:class:`PeriodScore`, under a new ``version``); re-opening keeps those rows, and closing
    again writes the next version."""

    scheme = models.ForeignKey(Scheme, verbose_name="考核方案", on_delete=models.PROTECT, related_name="periods")
    kind = models.CharField("周期", max_length=8, choices=PeriodKind.choices)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")  # the last day, inclusive
    label = models.CharField("考核期", max_length=40)
    status = models.CharField("状态", max_length=8, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    version = models.PositiveSmallIntegerField("版本", default=0)
    # what the version read: rounds published and points entries made until then; problems as they
    # stood at the period's end (cases.ProblemVersion)
    inputs_until = models.DateTimeField("数据截至", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="关闭人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "考核期"
        verbose_name_plural = "考核期"
        ordering = ["-start", "kind"]
        constraints = [models.UniqueConstraint(fields=["scheme", "kind", "start"], name="scoring_period_once")]

    def __str__(self) -> str:
        return f"{self.scheme.name} {self.label}"


class Honour(models.TextChoices):
    NONE = "", ""
    RED = "red", "红旗榜"
    YELLOW = "yellow", "黄牌榜"


class PeriodScore(models.Model):
    """A unit's stored score for one version of a closed period, with everything it was made of:
    ``components`` [{metric, label, weight, available, score, points, detail}], ``adjustments``
    [{id, kind, title, points, effect, cap}], the rounds and counts in ``detail``."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="scores")
    version = models.PositiveSmallIntegerField()
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True)
    unit_name = models.CharField(max_length=100)
    components = models.JSONField(default=list)
    adjustments = models.JSONField(default=list)
    base = models.DecimalField("项目得分", max_digits=6, decimal_places=2)
    total = models.DecimalField("总分", max_digits=6, decimal_places=2)
    sample = models.PositiveIntegerField("测评点位数", default=0)
    rank = models.PositiveIntegerField("名次", null=True, blank=True)
    mark = models.CharField("未排名原因", max_length=60, blank=True)
    previous_total = models.DecimalField("上期总分", max_digits=6, decimal_places=2, null=True, blank=True)
    previous_rank = models.PositiveIntegerField("上期名次", null=True, blank=True)
    honour = models.CharField("红黄榜", max_length=8, choices=Honour.choices, blank=True, default="")
    disqualified = models.BooleanField("取消评先资格", default=False)
    notes = models.JSONField(default=list)  # the explanation's sentences (caps, zeroing, rescaling)

    class Meta:
        ordering = ["rank", "unit_name"]
        constraints = [models.UniqueConstraint(fields=["period", "version", "unit"], name="scoring_score_once")]
        indexes = [models.Index(fields=["unit", "period"], name="scoring_score_unit")]

    @property
    def change(self):
        return None if self.previous_total is None else self.total - self.previous_total


class AdjustmentKind(models.TextChoices):
    EXPOSURE = "exposure", "上级曝光"
    NEGATIVE = "negative", "负面清单"
    DEDUCTION = "deduction", "其他扣分"
    BONUS = "bonus", "加分"


class NegativeEffect(models.TextChoices):
    NONE = "", "仅扣分"
    CAP = "cap", "总分封顶"
    ZERO = "zero", "总分计零"
    DISQUALIFY = "disqualify", "取消评先资格"


class Adjustment(TimeStampedModel):
    """An event that adds or costs points in the period it happened in (上级或媒体曝光, 负面清单事件,
    加分), entered by the office with evidence. It counts for the unit itself and every assessed
    unit above it. Withdrawn, it stays on record and counts no more (in periods closed after)."""

    unit = models.ForeignKey("org.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    kind = models.CharField("类别", max_length=10, choices=AdjustmentKind.choices)
    occurred_on = models.DateField("发生日期")
    title = models.CharField("事项", max_length=100)
    source = models.CharField("来源", max_length=100, blank=True)
    points = models.DecimalField("分值", max_digits=5, decimal_places=2, default=0)
    effect = models.CharField("负面清单后果", max_length=10, choices=NegativeEffect.choices, blank=True, default="")
    cap = models.DecimalField("封顶分数", max_digits=5, decimal_places=2, null=True, blank=True)
    description = models.TextField("情况说明", blank=True)
    photos = models.ManyToManyField("core.Photo", verbose_name="证据照片", blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT,
                                   related_name="+")
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    withdraw_reason = models.CharField("撤销理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "加减分事项"
        verbose_name_plural = "加减分事项"
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["occurred_on"], name="scoring_adjustment_day")]


class StepStatus(models.TextChoices):
    PROPOSED = "proposed", "待决定"
    DECIDED = "decided", "已决定"
    DISMISSED = "dismissed", "不予采纳"


class WarningStep(models.Model):
    """One step of the 黄牌 ladder (约谈 → 通报批评 → 问责): proposed when a unit is on the 黄牌榜
    ``scheme.escalate_after`` times in a row, decided (or dismissed) by the office, who is recorded."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="steps")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField("级别")
    step = models.CharField("措施", max_length=20)
    reason = models.CharField("原因", max_length=200)
    status = models.CharField("状态", max_length=10, choices=StepStatus.choices, default=StepStatus.PROPOSED)
    proposed_at = models.DateTimeField("提出时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="决定人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    note = models.CharField("决定意见", max_length=200, blank=True)

    class Meta:
        ordering = ["-proposed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["period", "unit"], condition=~Q(status="dismissed"),
                                               name="scoring_step_once")]


class LedgerKind(models.TextChoices):
    RED_FLAG = "red_flag", "流动红旗"
    AWARD_CUT = "award_cut", "文明奖扣减"
    BONUS = "bonus", "奖励"
    PENALTY = "penalty", "处罚"
    OTHER = "other", "其他"


class LedgerEntry(models.Model):
    """奖惩台账: what the office decided for a unit in a period (流动红旗, 文明奖扣减, points …)."""

    unit = models.ForeignKey("org.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    period = models.ForeignKey(Period, verbose_name="考核期", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="ledger")
    kind = models.CharField("类别", max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField("金额或分值", max_digits=10, decimal_places=2, null=True, blank=True)
    note = models.CharField("说明", max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "奖惩台账"
        verbose_name_plural = "奖惩台账"
        ordering = ["-created_at", "-id"]
