"""The evaluation system (测评体系): versioned index systems, their indicator tree, check items
with a scoring rule, and the point types items apply to (DESIGN.md §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from wenming.core.models import TimeStampedModel


class PointType(models.Model):
    """A kind of place that is inspected (社区, 农贸市场, 公共厕所 …); shared by all systems."""

    code = models.CharField("编码", max_length=10, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "点位类型"
        verbose_name_plural = "点位类型"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class SystemStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ACTIVE = "active", "在用"
    RETIRED = "retired", "已停用"


class IndexSystem(TimeStampedModel):
    """One version of an evaluation system, e.g. "江城市测评体系 2026版". Only drafts are edited;
    a round uses an active system and keeps it for good, so results never change under it."""

    name = models.CharField("名称", max_length=100)
    version = models.CharField("版本", max_length=30)
    description = models.TextField("说明", blank=True)
    status = models.CharField("状态", max_length=10, choices=SystemStatus.choices, default=SystemStatus.DRAFT)
    copied_from = models.ForeignKey("self", verbose_name="复制自", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="copies")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "测评体系"
        verbose_name_plural = "测评体系"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="standards_system_version")]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"

    @property
    def editable(self) -> bool:
        return self.status == SystemStatus.DRAFT


class Indicator(models.Model):
    """A node of the indicator tree: 一级 / 二级 / 三级指标, coded."""

    system = models.ForeignKey(IndexSystem, on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    level = models.PositiveSmallIntegerField("级别")
    code = models.CharField("编码", max_length=20)
    name = models.CharField("名称", max_length=100)
    sort = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = "指标"
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="standards_indicator_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Method(models.TextChoices):
    FIELD = "field", "实地考察"
    DOCUMENT = "document", "材料审核"
    SURVEY = "survey", "问卷调查"
    ONLINE = "online", "网上申报"
    DATA = "data", "数据调取"


class RuleKind(models.TextChoices):
    VERDICT = "verdict", "判定"
    GRADE = "grade", "等级"
    DEDUCTION = "deduction", "扣分"
    THRESHOLD = "threshold", "不少于"


SHORT_NAME_MAX = 20
# where a check item's content may be cut into its first clause: the end of a sentence or clause
CLAUSE_ENDS = "。；;！!？?，,：:\n"
OPENING, CLOSING = "（(“‘《「【", "）)”’》」】"


def first_clause(content: str) -> str:
    """The content up to its first clause-ending mark outside brackets and quotes (never inside
    a parenthesis like “（张贴画、广告牌，…）”), without that mark; the whole text if it has none."""
    depth = 0
    for position, char in enumerate(content):
        if char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(0, depth - 1)
        elif depth == 0 and char in CLAUSE_ENDS:
            return content[:position].strip()
    return content.strip()


def item_title(*, short_name: str, content: str, indicator_name, code: str) -> str:
    """What a check item is called where a line must do (a problem's title, lists of failures):
    its 简称; without one, the first clause of its content when that is at most
    :data:`SHORT_NAME_MAX` long; else “<indicator> <code>” (“检查项<code>” when even that is
    over twice as long) — nothing is cut mid-sentence. ``indicator_name`` may be a function,
    called only when the name is needed."""
    if short_name.strip():
        return short_name.strip()
    clause = first_clause(content)
    if clause and len(clause) <= SHORT_NAME_MAX:
        return clause
    name = indicator_name() if callable(indicator_name) else indicator_name
    fallback = f"{name.strip()} {code}".strip()
    return fallback if len(fallback) <= 2 * SHORT_NAME_MAX else f"检查项{code}"


class CheckItem(models.Model):
    """What an inspector checks, how he judges it, and how it scores. ``params`` holds the
    scoring rule's parameters in the normalised form of :mod:`wenming.standards.rules`."""

    system = models.ForeignKey(IndexSystem, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="items")
    code = models.CharField("编码", max_length=20)
    # a problem raised by the item is titled "<point>：<short name>"; optional (see :func:`item_title`)
    short_name = models.CharField("简称", max_length=SHORT_NAME_MAX, blank=True, default="")
    content = models.TextField("检查内容")
    rule_text = models.TextField("判定规则", blank=True)
    method = models.CharField("测评方法", max_length=10, choices=Method.choices, default=Method.FIELD)
    point_types = models.ManyToManyField(PointType, verbose_name="适用点位类型", related_name="items")
    score = models.DecimalField("分值", max_digits=6, decimal_places=2)
    rule_kind = models.CharField("计分方式", max_length=10, choices=RuleKind.choices)
    params = models.JSONField("计分参数", default=dict)
    category_code = models.CharField("问题类别编码", max_length=20, blank=True)
    sort = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "检查项"
        verbose_name_plural = "检查项"
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="standards_item_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        """The item's name in a line (:func:`item_title`); reads the indicator only when the item
        has no usable short name."""
        return item_title(short_name=self.short_name, content=self.content, code=self.code,
                          indicator_name=lambda: self.indicator.name)

    @property
    def is_veto(self) -> bool:
        return (self.params or {}).get("veto") is not None

    @property
    def rule_summary(self) -> str:
        from .rules import describe

        return describe(self.rule_kind, self.params)

    def evaluate(self, answer: dict):
        from .rules import evaluate

        return evaluate(self.rule_kind, self.params, self.score, answer)

    @property
    def verdict_choices(self) -> list[tuple[str, str]]:
        """The verdicts an inspector may pick for a verdict item, 不适用 last."""
        from .rules import VERDICT_LABELS

        shares = self.params.get("shares", {})
        return [(code, VERDICT_LABELS[code]) for code in ("pass", "partial", "fail") if code in shares] + [
            ("na", VERDICT_LABELS["na"])]
