"""工作方案与任务分解 (DESIGN.md §7): a work plan with its stages and its tasks, each task with the
"四明确" — a measurable target (目标), a standard (标准), a deadline (时限) and a person responsible
(责任人) — its indicators, its lead units (牵头单位) and responsible units (责任单位). A plan is drafted
(by hand or from the office's 任务分解表 in Excel), then 下发: every task goes to its units, which 签收."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from wenming.core.models import TimeStampedModel


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ISSUED = "issued", "已下发"


class WorkPlan(TimeStampedModel):
    owner = models.ForeignKey("org.Unit", verbose_name="制定单位", on_delete=models.PROTECT, related_name="+")
    owner_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    title = models.CharField("方案名称", max_length=200)
    year = models.PositiveSmallIntegerField("年度")
    # a multi-year arc (三年攻坚 2026–2028): the last year it covers; empty for a one-year plan
    end_year = models.PositiveSmallIntegerField("截止年度", null=True, blank=True)
    doc_number = models.CharField("文号", max_length=60, blank=True)
    body = models.TextField("方案说明", blank=True)
    system = models.ForeignKey("standards.IndexSystem", verbose_name="测评体系", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")
    issued_at = models.DateTimeField("下发时间", null=True, blank=True)
    # a task is 滞后 when its progress is more than this many points behind the share of its time used
    lag_margin = models.PositiveSmallIntegerField("滞后判定（落后时间进度的百分点）", default=20)

    class Meta:
        verbose_name = "工作方案"
        verbose_name_plural = "工作方案"
        ordering = ["-year", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def years(self) -> str:
        return f"{self.year}—{self.end_year}年" if self.end_year and self.end_year != self.year else f"{self.year}年"


def stored_file_to(instance: StoredFile, filename: str) -> str:
    """Where an uploaded file is kept: by its content's hash, so the same content is stored once."""
    return f"{instance._meta.app_label}/{instance.FOLDER}/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class StoredFile(models.Model):
    """An uploaded document or image, checked by its content (core.uploads) before it is kept."""

    FOLDER = "files"

    file = models.FileField(upload_to=stored_file_to, max_length=200)
    filename = models.CharField("文件名", max_length=200)
    extension = models.CharField(max_length=5)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.filename


class PlanFile(StoredFile):
    """The plan's own documents (the signed 工作方案 as issued, its annexes)."""

    FOLDER = "documents"
    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="files")

    class Meta:
        verbose_name = "方案文件"
        verbose_name_plural = "方案文件"
        ordering = ["plan", "id"]


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "每周报送"
    DAILY = "daily", "每天报送"


class Stage(models.Model):
    """宣传发动, 自查自纠, 整改提高, 迎接检查, 总结表彰 …: a date range of the plan, with how often the
    units report in it (weekly; daily while 迎检)."""

    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField("阶段名称", max_length=40)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    cadence = models.CharField("进度报送", max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "阶段"
        verbose_name_plural = "阶段"
        ordering = ["plan", "start", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="stage_name_once")]

    def __str__(self) -> str:
        return self.name


class Comparator(models.TextChoices):
    GE = "ge", "≥"
    GT = "gt", ">"
    EQ = "eq", "="
    LE = "le", "≤"
    LT = "lt", "<"


class Source(models.TextChoices):
    """Figures the platform already holds: a task measured by one of them has its units' measured values
    computed (plans.computed), not reported."""

    NONE = "", "单位报送"
    ON_TIME_RATE = "on_time_rate", "问题按期办结率（本年度）"
    CLOSURE_RATE = "closure_rate", "问题办结率（本年度）"
    POINT_PASS_RATE = "point_pass_rate", "点位达标率（最近测评）"


class TaskStatus(models.TextChoices):
    DRAFT = "draft", "未下发"
    ISSUED = "issued", "已下发"


# the "四明确" a task must have before it is 下发, by the name the seeds give them
FOUR_CLEAR = ("目标", "标准", "时限", "责任人")


class Task(TimeStampedModel):
    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="tasks")
    stage = models.ForeignKey(Stage, verbose_name="阶段", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="tasks")
    seq = models.PositiveIntegerField("序号")
    content = models.TextField("任务内容")
    standard = models.TextField("工作标准", blank=True)
    person = models.CharField("责任人", max_length=100, blank=True)
    deadline = models.DateField("完成时限", null=True, blank=True)
    # the measurable target: 注册志愿者占比 ≥ 10 %
    metric = models.CharField("目标指标", max_length=60, blank=True)
    comparator = models.CharField("比较", max_length=2, choices=Comparator.choices, blank=True)
    target_value = models.DecimalField("目标值", max_digits=14, decimal_places=4, null=True, blank=True)
    target_unit = models.CharField("计量单位", max_length=10, blank=True)
    weight = models.DecimalField("权重", max_digits=6, decimal_places=2, default=Decimal(1))
    source = models.CharField("实测值来源", max_length=20, choices=Source.choices, blank=True, default="")
    indicators = models.ManyToManyField("standards.Indicator", verbose_name="测评指标", blank=True, related_name="+")
    # a decision (议定事项) of this meeting
    meeting = models.ForeignKey("Meeting", verbose_name="来源会议", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="decisions")
    status = models.CharField("状态", max_length=10, choices=TaskStatus.choices, default=TaskStatus.DRAFT)
    issued_at = models.DateTimeField("下发时间", null=True, blank=True)

    class Meta:
        verbose_name = "任务"
        verbose_name_plural = "任务"
        ordering = ["plan", "seq", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "seq"], name="task_seq_once")]

    def __str__(self) -> str:
        return f"{self.seq}. {self.content[:30]}"

    @property
    def has_target(self) -> bool:
        return bool(self.metric) and bool(self.comparator) and self.target_value is not None

    def missing(self) -> list[str]:
        """Which of the 四明确 the task lacks (empty: it may be 下发)."""
        present = {"目标": self.has_target, "标准": bool(self.standard.strip()), "时限": self.deadline is not None,
                   "责任人": bool(self.person.strip())}
        return [name for name in FOUR_CLEAR if not present[name]]

    @property
    def target_text(self) -> str:
        if not self.has_target:
            return ""
        return f"{self.metric}{self.get_comparator_display()}{format_number(self.target_value)}{self.target_unit}"


def format_number(value: Decimal | None) -> str:
    """10.0000 → 10, 12.5000 → 12.5."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "牵头单位"
    RESPONSIBLE = "responsible", "责任单位"


class Assignment(models.Model):
    """A unit's part in a task: 牵头 (coordinates, accepts the reports) or 责任 (does it and reports);
    签收 once the task is 下发."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("org.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    role = models.CharField("角色", max_length=12, choices=AssignmentRole.choices)
    sort = models.PositiveSmallIntegerField(default=0)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="签收人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    # the 督办 ladder of a responsible unit's part past its 完成时限 (plans.escalation; cases.Escalation levels)
    escalation = models.PositiveSmallIntegerField("督办级别", default=0)
    overdue_at = models.DateTimeField("逾期时间", null=True, blank=True)
    notice_deadline = models.DateTimeField("督办期限", null=True, blank=True)
    in_bulletin = models.BooleanField("列入通报批评", default=False)
    next_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "任务分工"
        verbose_name_plural = "任务分工"
        ordering = ["task", "role", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "unit", "role"], name="assignment_once")]
        indexes = [models.Index(fields=["next_due_at"], name="assignment_due",
                                condition=models.Q(next_due_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.task} · {self.unit}（{self.get_role_display()}）"


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    ACCEPTED = "accepted", "已采纳"
    RETURNED = "returned", "已退回"


class ProgressReport(TimeStampedModel):
    """A responsible unit's report on its part of a task for one period (a week, or a day while the
    stage asks for daily reports): how far it is (percent), the measured value against the task's
    target, what was done, and the evidence. The lead unit or the office accepts it or returns it
    with a reason; only an accepted report counts in the task's progress."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reports")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey("org.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    period_start = models.DateField("报送期开始")
    period_end = models.DateField("报送期结束")
    percent = models.PositiveSmallIntegerField("完成进度（%）")
    measured = models.DecimalField("实测值", max_digits=14, decimal_places=4, null=True, blank=True)
    narrative = models.TextField("工作进展")
    status = models.CharField("状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", on_delete=models.PROTECT,
                                     related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "进度报告"
        verbose_name_plural = "进度报告"
        ordering = ["-period_start", "-created_at", "-id"]
        indexes = [models.Index(fields=["assignment", "status", "period_start"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.period_start:%Y-%m-%d} {self.percent}%"

    @property
    def measured_text(self) -> str:
        return format_number(self.measured)


class ReportFile(StoredFile):
    """An evidence file of a progress report."""

    FOLDER = "reports"
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="files")

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["report", "id"]


class MeetingKind(models.TextChoices):
    LEADING_GROUP = "leading_group", "领导小组会议"
    DISPATCH = "dispatch", "调度会"
    PROGRESS = "progress", "推进会"
    ON_SITE = "on_site", "现场会"


class Meeting(TimeStampedModel):
    """领导小组会议, 调度会, 推进会, 现场会: when, who chaired and attended, the minutes and attachments.
    Each decision (议定事项) becomes a task of a plan (``Task.meeting``) and is tracked like any task."""

    owner = models.ForeignKey("org.Unit", verbose_name="召开单位", on_delete=models.PROTECT, related_name="+")
    owner_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices)
    title = models.CharField("会议名称", max_length=200)
    held_on = models.DateField("召开日期")
    place = models.CharField("地点", max_length=100, blank=True)
    chair = models.CharField("主持人", max_length=100, blank=True)
    attendees = models.TextField("参会人员", blank=True)
    minutes = models.TextField("会议纪要", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = "会议"
        verbose_name_plural = "会议"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title



class MeetingFile(StoredFile):
    """An attachment of a meeting (the signed minutes, the sign-in sheet, photos)."""

    FOLDER = "meetings"
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")

    class Meta:
        verbose_name = "会议附件"
        verbose_name_plural = "会议附件"
        ordering = ["meeting", "id"]
