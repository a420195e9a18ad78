"""问卷调查 (DESIGN.md §9): questionnaires (versioned; each question may measure one of the four rates the
assessment weighs — 知晓率, 支持率, 参与率, 满意度), campaigns that send one to the communities of a scope for
a period (入户 interviews on the surveyor's phone, self-fill by a community's link and QR code, or 模拟 for
training — never counted), their quotas and drawn households, the responses, and the running tallies the
rates are read from."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from wenming.core.models import TimeStampedModel


class Rate(models.TextChoices):
    AWARENESS = "awareness", "知晓率"
    SUPPORT = "support", "支持率"
    PARTICIPATION = "participation", "参与率"
    SATISFACTION = "satisfaction", "满意度"


RATE_TARGET = 90   # the assessment's bar for each rate (测评体系: 达到90%以上)


class QuestionKind(models.TextChoices):
    SINGLE = "single", "单选"
    MULTIPLE = "multiple", "多选"
    RATING = "rating", "评分"
    YES_NO = "yes_no", "是非"
    TEXT = "text", "填空"


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ACTIVE = "active", "已发布"
    RETIRED = "retired", "已停用"


class Questionnaire(TimeStampedModel):
    """One version of a questionnaire. A published version never changes: a change is a new version
    (the same ``code``, ``version`` + 1) and the campaigns keep the version they were started with."""

    owner = models.ForeignKey("org.Unit", verbose_name="制定单位", on_delete=models.PROTECT, related_name="+")
    owner_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    code = models.CharField("问卷编号", max_length=30)
    version = models.PositiveSmallIntegerField("版本", default=1)
    title = models.CharField("问卷名称", max_length=100)
    intro = models.TextField("开头语", blank=True)
    status = models.CharField("状态", max_length=10, choices=QuestionnaireStatus.choices,
                              default=QuestionnaireStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "问卷"
        verbose_name_plural = "问卷"
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["owner", "code", "version"], name="questionnaire_version")]

    def __str__(self) -> str:
        return f"{self.title}（第{self.version}版）"


class Question(models.Model):
    """A question. ``options``: [{"code": "A", "label": "知道", "positive": true}, …] for 单选/多选 (a
    positive option counts toward the question's rate); a 评分 question runs 1…``scale`` and counts
    from ``positive_min``; a 是非 question counts 是. ``show_if``: {"seq": 2, "codes": ["A"]} — asked only
    when the answer to question 2 is one of those options (skip logic), else {}."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    seq = models.PositiveSmallIntegerField("题号")
    text = models.CharField("题目", max_length=300)
    kind = models.CharField("题型", max_length=10, choices=QuestionKind.choices)
    required = models.BooleanField("必答", default=True)
    rate = models.CharField("测量比率", max_length=16, choices=Rate.choices, blank=True)
    options = models.JSONField("选项", default=list, blank=True)
    scale = models.PositiveSmallIntegerField("评分满分", default=5)
    positive_min = models.PositiveSmallIntegerField("计为肯定的最低分", default=4)
    show_if = models.JSONField("显示条件", default=dict, blank=True)

    class Meta:
        verbose_name = "问卷题目"
        verbose_name_plural = "问卷题目"
        ordering = ["questionnaire", "seq"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "seq"], name="question_seq")]

    def __str__(self) -> str:
        return f"{self.seq}. {self.text}"

    @property
    def scale_range(self) -> range:
        return range(1, self.scale + 1)


class CampaignMode(models.TextChoices):
    INTERVIEW = "interview", "入户调查"
    SELF = "self", "扫码自填"
    MOCK = "mock", "模拟调查（培训）"


class QuotaRule(models.TextChoices):
    POPULATION = "population", "按常住人口分配总样本量"
    FIXED = "fixed", "每个社区固定份数"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "未开始"
    OPEN = "open", "调查中"
    CLOSED = "closed", "已结束"


class Campaign(TimeStampedModel):
    """A survey of the communities under ``scope`` for a period with one questionnaire version. A 模拟
    campaign (training, mock surveys) is never counted in official figures and is marked everywhere."""

    owner = models.ForeignKey("org.Unit", verbose_name="组织单位", on_delete=models.PROTECT, related_name="+")
    owner_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    scope = models.ForeignKey("org.Unit", verbose_name="调查范围", on_delete=models.PROTECT, related_name="+")
    scope_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    title = models.CharField("调查名称", max_length=100)
    questionnaire = models.ForeignKey(Questionnaire, verbose_name="问卷", on_delete=models.PROTECT,
                                      related_name="campaigns")
    mode = models.CharField("调查方式", max_length=10, choices=CampaignMode.choices)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    status = models.CharField("状态", max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    quota_rule = models.CharField("样本分配", max_length=12, choices=QuotaRule.choices, default=QuotaRule.FIXED)
    quota_value = models.PositiveIntegerField("样本量", help_text="按人口分配时为总样本量；固定份数时为每个社区的份数")
    min_seconds = models.PositiveIntegerField("最短答题时长（秒）", default=60)
    seed = models.PositiveBigIntegerField("抽样种子", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = "问卷调查"
        verbose_name_plural = "问卷调查"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_mock(self) -> bool:
        return self.mode == CampaignMode.MOCK


class CampaignUnit(models.Model):
    """A community in a campaign: its quota and the token of its self-fill link (and QR code)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey("org.Unit", verbose_name="社区", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, default="")
    quota = models.PositiveIntegerField("样本配额")
    token = models.CharField(max_length=32, unique=True)

    class Meta:
        verbose_name = "调查社区"
        verbose_name_plural = "调查社区"
        ordering = ["campaign", "unit_path"]
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="campaign_unit_once")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit}"


class Household(models.Model):
    """A household of a community's list (门牌), from which 入户 samples are drawn."""

    unit = models.ForeignKey("org.Unit", verbose_name="社区", on_delete=models.CASCADE, related_name="+")
    code = models.CharField("户编号", max_length=40)
    address = models.CharField("门牌地址", max_length=200)

    class Meta:
        verbose_name = "住户"
        verbose_name_plural = "住户"
        ordering = ["unit", "code"]
        constraints = [models.UniqueConstraint(fields=["unit", "code"], name="household_code")]

    def __str__(self) -> str:
        return self.address


class ResponseStatus(models.TextChoices):
    COUNTED = "counted", "有效"
    FLAGGED = "flagged", "待复核"
    EXCLUDED = "excluded", "已剔除"


class Flag(models.TextChoices):
    TOO_FAST = "too_fast", "答题过快"
    SAME_DEVICE = "same_device", "同一设备重复作答"
    SAME_RESPONDENT = "same_respondent", "同一受访者重复"
    SURVEYOR_OUTLIER = "surveyor_outlier", "调查员结果明显偏离"


class Response(models.Model):
    """One questionnaire answered in a community. ``client_key`` is made by the phone before it sends
    (a retried submission is the same response); ``answers`` maps question seq → the answer. The four
    rate outcomes are worked out on receipt (None: not asked or not answered). Flagged responses are
    left out of official figures until an office reviews them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="responses")
    unit = models.ForeignKey("org.Unit", verbose_name="社区", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, default="")
    client_key = models.CharField(max_length=64)
    surveyor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="调查员", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name="住户", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    device = models.CharField(max_length=64, blank=True)       # a hash of the phone's own id (self-fill)
    respondent = models.CharField(max_length=64, blank=True)   # a hash of what identifies the respondent, if given
    started_at = models.DateTimeField("开始作答")
    submitted_at = models.DateTimeField("提交时间")
    received_at = models.DateTimeField("接收时间", auto_now_add=True)
    seconds = models.PositiveIntegerField("用时（秒）")
    answers = models.JSONField("答案", default=dict)
    awareness = models.BooleanField(null=True)
    support = models.BooleanField(null=True)
    participation = models.BooleanField(null=True)
    satisfaction = models.BooleanField(null=True)
    status = models.CharField("状态", max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.COUNTED)
    flags = models.JSONField("质量标记", default=list, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="复核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)
    review_note = models.CharField("复核意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "问卷答卷"
        verbose_name_plural = "问卷答卷"
        ordering = ["-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "client_key"], name="response_once")]
        indexes = [models.Index(fields=["campaign", "status", "unit"], name="response_campaign_status"),
                   models.Index(fields=["campaign", "device"], name="response_device"),
                   models.Index(fields=["campaign", "respondent"], name="response_respondent")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit} · {self.client_key[:8]}"

    def outcome(self, rate: str) -> bool | None:
        return getattr(self, rate)

    @property
    def flag_labels(self) -> list[str]:
        return [Flag(f).label if f in Flag.values else f for f in self.flags]


class Tally(models.Model):
    """The counted responses of a community in a campaign, kept up to date on every write: per rate, how
    many answered its question (``answered_<rate>``) and how many of them positively (``<rate>``). The
    rates pages read these rows, never the responses."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tallies")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, default="")
    responses = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    answered_awareness = models.PositiveIntegerField(default=0)
    awareness = models.PositiveIntegerField(default=0)
    answered_support = models.PositiveIntegerField(default=0)
    support = models.PositiveIntegerField(default=0)
    answered_participation = models.PositiveIntegerField(default=0)
    participation = models.PositiveIntegerField(default=0)
    answered_satisfaction = models.PositiveIntegerField(default=0)
    satisfaction = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "调查汇总"
        verbose_name_plural = "调查汇总"
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="tally_once")]


class OptionTally(models.Model):
    """How many counted responses of a community chose each option of a question (or each score of a
    评分 question): the cross-tabs by question read these."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="option_tallies")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, default="")
    seq = models.PositiveSmallIntegerField()
    option = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "选项汇总"
        verbose_name_plural = "选项汇总"
        constraints = [models.UniqueConstraint(fields=["campaign", "unit", "seq", "option"], name="option_tally_once")]
