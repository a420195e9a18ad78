"""Inspection rounds (督查轮次), their sample of points, the inspections made on phones and one
result per check item (DESIGN.md §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from wenming.core.models import TimeStampedModel


class RoundKind(models.TextChoices):
    WEEKLY = "weekly", "周测评"
    MONTHLY = "monthly", "月考核"
    UNANNOUNCED = "unannounced", "暗访"
    THIRD_PARTY = "third_party", "第三方测评"
    SELF_CHECK = "self_check", "自查"
    RECHECK = "recheck", "复查"


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "准备中"
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"
    PUBLISHED = "published", "已发布"


class SampleMode(models.TextChoices):
    ALL = "all", "全部点位"
    STRATIFIED = "stratified", "分层随机抽样"


# 同类同项 ranking (scores.ranking): the fewest points inspected a unit needs to be ranked
DEFAULT_MIN_SAMPLE = 3
MAX_MIN_SAMPLE = 100


class InspectionRound(TimeStampedModel):
    """A scheduled check over a sample of points. The office (or, for a 自查, the unit itself)
    owns it; ``scope`` names the units whose points are in play. The sample is drawn once, from
    ``sample_seed``, and stored in :class:`RoundPoint`, so it can be re-drawn identically."""

    title = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=12, choices=RoundKind.choices)
    system = models.ForeignKey("standards.IndexSystem", verbose_name="测评体系", on_delete=models.PROTECT,
                               related_name="rounds")
    owner = models.ForeignKey("org.Unit", verbose_name="组织单位", on_delete=models.PROTECT, related_name="rounds")
    owner_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    scope = models.ManyToManyField("org.Unit", verbose_name="测评范围", related_name="rounds_in_scope")
    # the 督查组 the organiser means to share the sample among: offered first when the points are
    # assigned, and what "复制上一轮" carries over to the next round (selectors.following_round)
    groups = models.ManyToManyField("org.Team", verbose_name="督查组", blank=True, related_name="planned_rounds")
    period_start = models.DateField("开始日期")
    period_end = models.DateField("结束日期")
    sample_mode = models.CharField("抽样方式", max_length=12, choices=SampleMode.choices, default=SampleMode.ALL)
    # {"SQ": 2, "NM": 1}: points drawn per point type from each responsible unit's points (a stratum is
    # the points of one type that one unit answers for: services.stratified_sample)
    sample_sizes = models.JSONField("各类型抽样数量", default=dict, blank=True)
    sample_seed = models.BigIntegerField("抽样种子", null=True, blank=True)
    # {"SQ": 2, "NM": 1.5}: weights of point types in a unit's score (missing types weigh 1)
    weights = models.JSONField("点位类型权重", default=dict, blank=True)
    # 同类同项: a unit with fewer points inspected than this is listed after its peers, not ranked.
    # Copied from the office's setting when the round is planned, so a published ranking never moves.
    min_sample = models.PositiveSmallIntegerField("最少样本点位数", default=DEFAULT_MIN_SAMPLE)
    status = models.CharField("状态", max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="rounds_created")
    opened_at = models.DateTimeField("开始时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    # round totals, written when the round closes (and kept up to date while it runs)
    earned = models.DecimalField("得分", max_digits=12, decimal_places=2, default=0)
    possible = models.DecimalField("应得分", max_digits=12, decimal_places=2, default=0)

    class Meta:
        verbose_name = "督查轮次"
        verbose_name_plural = "督查轮次"
        ordering = ["-period_start", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def score_rate(self):
        """得分率: earned / possible × 100 over every applicable item of the round."""
        if not self.possible:
            return None
        return round(self.earned * 100 / self.possible, 2)


class InspectionSettings(models.Model):
    """One row: the inspection rules the city office sets for every round it and its districts plan
    (each round keeps its own copy, so changing them moves no ranking already made)."""

    min_sample = models.PositiveSmallIntegerField("排名最少样本点位数", default=DEFAULT_MIN_SAMPLE)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "测评设置"
        verbose_name_plural = "测评设置"


class RoundPoint(models.Model):
    """A point in a round's sample, with who inspects it and the resulting point score."""

    class Status(models.TextChoices):
        PENDING = "pending", "待测评"
        DRAFT = "draft", "测评中"
        DONE = "done", "已完成"

    # no index of its own: every index below starts with the round, and PostgreSQL would take a
    # bare (round) index for "has the round a point of these 督查组" and read the whole sample
    round = models.ForeignKey(InspectionRound, on_delete=models.CASCADE, related_name="round_points", db_index=False)
    point = models.ForeignKey("places.Point", verbose_name="点位", on_delete=models.PROTECT, related_name="round_points")
    # copied from the point when sampled: results stay with the unit that answered for it then
    unit = models.ForeignKey("org.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, default="")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="测评员", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="round_points")
    team = models.ForeignKey("org.Team", verbose_name="测评组", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="round_points")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    earned = models.DecimalField("得分", max_digits=8, decimal_places=2, null=True, blank=True)
    possible = models.DecimalField("应得分", max_digits=8, decimal_places=2, null=True, blank=True)
    score = models.DecimalField("点位得分", max_digits=5, decimal_places=2, null=True, blank=True)
    failed_items = models.PositiveSmallIntegerField("不合格项", default=0)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽样点位"
        verbose_name_plural = "抽样点位"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["round", "point"], name="inspections_round_point")]
        indexes = [models.Index(fields=["inspector", "status"]), models.Index(fields=["round", "unit"]),
                   # who may see a round: "has the round a point of this inspector / of his 督查组"
                   models.Index(fields=["round", "inspector"]), models.Index(fields=["round", "team"]),
                   # a round's sample in the page's order (PostgreSQL otherwise walks unit_path over all rounds)
                   models.Index(fields=["round", "unit_path"])]


class Inspection(TimeStampedModel):
    """One visit to one point of a round. A draft keeps what was typed (``draft``) until it is
    submitted; submission turns it into :class:`ItemResult` rows, once (``submit_key``)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"

    round_point = models.OneToOneField(RoundPoint, on_delete=models.CASCADE, related_name="inspection")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="测评员", on_delete=models.PROTECT,
                                  related_name="inspections")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    draft = models.JSONField("草稿", default=dict, blank=True)
    note = models.TextField("总体说明", blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submit_key = models.CharField(max_length=80, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = "实地考察记录"
        verbose_name_plural = "实地考察记录"


class ItemResult(models.Model):
    """The result of one check item at one inspection, with the points it earned."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey("standards.CheckItem", verbose_name="检查项", on_delete=models.PROTECT,
                             related_name="results")
    verdict = models.CharField("判定", max_length=10, blank=True)      # pass / partial / fail / na (verdict items)
    answer = models.JSONField("记录", default=dict)                    # what was recorded, as rules.evaluate takes it
    label = models.CharField("结果", max_length=40)
    note = models.TextField("说明", blank=True)
    applicable = models.BooleanField("适用", default=True)
    earned = models.DecimalField("得分", max_digits=6, decimal_places=2)
    possible = models.DecimalField("应得分", max_digits=6, decimal_places=2)
    failed = models.BooleanField("不合格", default=False)
    photos = models.ManyToManyField("core.Photo", blank=True, related_name="item_results")
    problem = models.ForeignKey("cases.Problem", verbose_name="生成的问题", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="item_results")
    # the problem this result re-checked (复查 rounds), and what it did to it
    rechecked_problem = models.ForeignKey("cases.Problem", null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="rechecks")

    class Meta:
        verbose_name = "检查项结果"
        verbose_name_plural = "检查项结果"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="inspections_result_item")]
        indexes = [models.Index(fields=["item", "failed"]),
                   models.Index(fields=["failed"], condition=Q(failed=True, problem__isnull=True),
                                name="inspections_result_unraised")]
