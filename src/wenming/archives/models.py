"""创城档案 (DESIGN.md §9 evidence): what materials each indicator asks for (a :class:`Requirement`, derived
from the index system's 材料审核 items and edited by the office), the materials units hand in for it
(:class:`Evidence`: uploaded files, or a link to what the platform already holds — meeting minutes,
accepted progress reports, closed problems with after-photos, passed inspection results, issued
bulletins — never a copy) and the reminders sent before a requirement falls due."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from wenming.core.models import TimeStampedModel
from wenming.plans.models import StoredFile


class MaterialType(models.TextChoices):
    DOCUMENT = "document", "规范文件"
    STATEMENT = "statement", "情况说明"
    PHOTO = "photo", "实景图片"
    TABLE = "table", "统计表格"
    MINUTES = "minutes", "会议纪要"
    RECORD = "record", "活动记录"


class Source(models.TextChoices):
    UPLOAD = "upload", "单位上传"
    MEETING = "meeting", "会议纪要"
    REPORT = "report", "任务进度报告"
    PROBLEM = "problem", "问题整改"
    INSPECTION = "inspection", "测评结果"
    BULLETIN = "bulletin", "通报"


# what the platform collects by itself for each kind of material (the office may change it per requirement;
# bulletins only where the office asks for them: its own 申报 materials, as they name no indicator)
DEFAULT_SOURCES = {
    MaterialType.DOCUMENT: [],
    MaterialType.STATEMENT: [Source.REPORT],
    MaterialType.PHOTO: [Source.PROBLEM, Source.INSPECTION],
    MaterialType.TABLE: [],
    MaterialType.MINUTES: [Source.MEETING],
    MaterialType.RECORD: [Source.REPORT, Source.INSPECTION],
}
LINK_SOURCES = [s for s in Source if s != Source.UPLOAD]


class Requirement(TimeStampedModel):
    """One material an indicator asks for, of the units that run points of its point types (a street's
    own office for 街道办事处 items, each community for 社区 items …) or — without point types — of the
    office that set it (the city's own 申报 materials)."""

    system = models.ForeignKey("standards.IndexSystem", verbose_name="测评体系", on_delete=models.CASCADE,
                               related_name="+")
    owner = models.ForeignKey("org.Unit", verbose_name="制定单位", on_delete=models.PROTECT, related_name="+")
    owner_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    indicator = models.ForeignKey("standards.Indicator", verbose_name="测评指标", on_delete=models.CASCADE,
                                  related_name="+")
    item = models.ForeignKey("standards.CheckItem", verbose_name="来源检查项", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    code = models.CharField("编号", max_length=30)
    title = models.CharField("材料名称", max_length=100)
    description = models.TextField("要求说明", blank=True)
    material_type = models.CharField("材料类型", max_length=10, choices=MaterialType.choices)
    min_count = models.PositiveSmallIntegerField("最少份数", default=1)
    # 0: 长期有效 (any year); 1: 当年; N: 近N年度 (the assessment year and the N-1 before it)
    years = models.PositiveSmallIntegerField("时段（年度数）", default=1)
    point_types = models.ManyToManyField("standards.PointType", verbose_name="适用点位类型", blank=True,
                                         related_name="+")
    due_date = models.DateField("完成时限", null=True, blank=True)
    auto_sources = models.JSONField("自动归集来源", default=list, blank=True)
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "材料要求"
        verbose_name_plural = "材料要求"
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["system", "owner", "code"], name="archives_requirement_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def period_text(self) -> str:
        if self.years == 0:
            return "长期有效"
        return "当年" if self.years == 1 else f"近{self.years}年度"

    @property
    def count_text(self) -> str:
        return f"不少于{self.min_count}份" if self.min_count > 1 else "1份"

    def first_year(self, year: int) -> int:
        """The earliest year whose materials count toward ``year``."""
        return 0 if self.years == 0 else year - self.years + 1

    def source_labels(self) -> list[str]:
        return [Source(s).label for s in self.auto_sources if s in Source.values]


class EvidenceStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    ACCEPTED = "accepted", "合格"
    RETURNED = "returned", "退回"


class Evidence(TimeStampedModel):
    """A material of one unit for one requirement and year: files the unit uploaded (reviewed by the office),
    or a link to a record the platform holds (counted as 合格 unless the office returns it)."""

    requirement = models.ForeignKey(Requirement, verbose_name="材料要求", on_delete=models.CASCADE,
                                    related_name="evidence")
    unit = models.ForeignKey("org.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("材料名称", max_length=200)
    note = models.TextField("说明", blank=True)
    happened_on = models.DateField("形成日期", null=True, blank=True)
    source = models.CharField("来源", max_length=12, choices=Source.choices, default=Source.UPLOAD)
    # the record a link points at (exactly one, by its source); "meeting:12" — unique per requirement and unit
    link_key = models.CharField(max_length=40, blank=True, default="")
    meeting = models.ForeignKey("plans.Meeting", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey("plans.ProgressReport", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    problem = models.ForeignKey("cases.Problem", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    result = models.ForeignKey("inspections.ItemResult", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    bulletin = models.ForeignKey("bulletins.Bulletin", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    status = models.CharField("状态", max_length=10, choices=EvidenceStatus.choices, default=EvidenceStatus.SUBMITTED)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "档案材料"
        verbose_name_plural = "档案材料"
        ordering = ["-year", "-created_at", "-id"]
        # (…, status): the completeness matrix's grouped count is read from the index alone
        indexes = [models.Index(fields=["requirement", "unit", "year", "status"]),
                   models.Index(fields=["unit_path", "year"])]
        constraints = [models.UniqueConstraint(fields=["requirement", "unit", "link_key"],
                                               condition=~models.Q(link_key=""), name="archives_evidence_link_once")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_link(self) -> bool:
        return self.source != Source.UPLOAD


class EvidenceFile(StoredFile):
    FOLDER = "evidence"
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="files")

    class Meta:
        verbose_name = "档案材料文件"
        verbose_name_plural = "档案材料文件"
        ordering = ["id"]


class ReminderKind(models.TextChoices):
    BEFORE = "before", "到期前提醒"
    DUE = "due", "到期提醒"


class Reminder(models.Model):
    """A reminder sent to a unit whose materials for a requirement were not complete: once per kind."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField()
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["requirement", "unit", "due_date", "kind"],
                                               name="archives_reminder_once")]
