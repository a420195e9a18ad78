"""The rectification loop (问题整改闭环): problems, their timeline, requests, SLA, routing,
supervision notices (督办单/督办函) and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from wenming.core.models import TimeStampedModel


class Category(models.Model):
    """A two-level, coded problem category (e.g. 市容环境 › 暴露垃圾)."""

    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey("self", verbose_name="上级类别", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "问题类别"
        verbose_name_plural = "问题类别"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class Severity(models.TextChoices):
    URGENT = "urgent", "立行立改"
    NORMAL = "normal", "一般"
    DIFFICULT = "difficult", "难点"
    LONG_TERM = "long_term", "长期"


class Source(models.TextChoices):
    INSPECTION = "inspection", "督查发现"
    SELF_CHECK = "self_check", "自查"
    CITIZEN = "citizen", "市民随手拍"
    HOTLINE = "hotline", "12345热线"
    MEDIA = "media", "媒体曝光"
    SUPERIOR = "superior", "上级反馈清单"
    LEADER = "leader", "领导交办"
    GRID = "grid", "网格巡查"
    CENSUS = "census", "普查摸排"


class State(models.TextChoices):
    REPORTED = "reported", "待受理"
    PENDING_ASSIGNMENT = "pending_assignment", "待交办"
    ASSIGNED = "assigned", "已交办"
    RECTIFYING = "rectifying", "整改中"
    SUBMITTED = "submitted", "待复核"
    CLOSED = "closed", "已销号"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"


OPEN_STATES = [State.REPORTED, State.PENDING_ASSIGNMENT, State.ASSIGNED, State.RECTIFYING, State.SUBMITTED]
# states in which a deadline runs
RUNNING_STATES = [State.ASSIGNED, State.RECTIFYING]


class Escalation(models.IntegerChoices):
    NONE = 0, "无"
    WARNED = 1, "已预警"
    NOTICE = 2, "已发督办单"
    LETTER = 3, "已发督办函"
    BULLETIN = 4, "列入通报批评"


class Problem(TimeStampedModel):
    code = models.CharField("编号", max_length=20, unique=True)
    title = models.CharField("标题", max_length=100)
    description = models.TextField("问题描述", blank=True)
    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.PROTECT, related_name="problems")
    severity = models.CharField("严重程度", max_length=12, choices=Severity.choices, default=Severity.NORMAL)
    source = models.CharField("来源", max_length=12, choices=Source.choices)
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.REPORTED)

    # where: the unit whose territory it is in (community/grid/street), and the place itself
    area = models.ForeignKey("org.Unit", verbose_name="所在区域", on_delete=models.PROTECT,
                             related_name="problems_in_area")
    # copies of the units' paths, so that a subtree's problems are one indexed prefix filter
    area_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    address = models.CharField("地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    # who must fix it (set on 交办)
    unit = models.ForeignKey("org.Unit", verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="problems")

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报告人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="reported_problems")
    reporter_name = models.CharField("报告人姓名", max_length=50, blank=True)
    reporter_phone = models.CharField("报告人电话", max_length=20, blank=True)
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="复核人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="problems_to_verify")
    followers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="followed_problems")

    deadline = models.DateTimeField("整改期限", null=True, blank=True)
    assigned_at = models.DateTimeField("交办时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    submitted_at = models.DateTimeField("提交整改时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True, db_index=True)
    closed_on_time = models.BooleanField("按期办结", null=True, blank=True)
    handling_hours = models.FloatField("办理时长（工作小时）", null=True, blank=True)

    escalation = models.PositiveSmallIntegerField("督办级别", choices=Escalation.choices, default=Escalation.NONE)
    is_overdue = models.BooleanField("逾期", default=False, db_index=True)
    overdue_at = models.DateTimeField("逾期时间", null=True, blank=True)
    in_bulletin = models.BooleanField("列入通报批评", default=False)
    # the sweeper's next look at this problem (warning, overdue, next 督办 step); see cases/sweeper.py
    next_due_at = models.DateTimeField(null=True, blank=True)

    rework_count = models.PositiveSmallIntegerField("退回重改次数", default=0)
    returned_count = models.PositiveSmallIntegerField("退回交办次数", default=0)
    supervision_count = models.PositiveSmallIntegerField("督办次数", default=0)

    merged_into = models.ForeignKey("self", verbose_name="合并到", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged_problems")
    recurrence_of = models.ForeignKey("self", verbose_name="反弹自", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="recurrences")
    # set at intake: an open problem of the same category at the same place (cases.intake)
    duplicate_of = models.ForeignKey("self", verbose_name="疑似重复", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="suspected_duplicates")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # 查询码: given to the reporter; anyone holding it may look the problem up on the public page
    # (state, reply, after-photos; nothing personal). Random, so codes cannot be walked through.
    tracking_code = models.CharField("查询码", max_length=8, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "问题"
        verbose_name_plural = "问题"
        indexes = [
            models.Index(fields=["next_due_at"], name="problem_next_due", condition=Q(next_due_at__isnull=False)),
            models.Index(fields=["unit", "state"]),
            models.Index(fields=["area", "state"]),
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["category", "state"]),
            # the same place (cases.intake.sql.place_candidates): by coordinates, or by address
            models.Index(fields=["category", "latitude"], name="problem_category_lat"),
            models.Index(fields=["category", "address"], name="problem_category_address"),
            # the dashboard's today figures (dashboard.selectors.today, heat): new since a moment, and
            # the deadlines of the problems being rectified, read by index ranges, never by a scan
            models.Index(fields=["created_at"], name="problem_created"),
            models.Index(fields=["deadline"], name="problem_running_deadline",
                         condition=Q(state__in=["assigned", "rectifying"])),
            # the open problems overdue now (the dashboard, the 督办 lists): a few among a million
            models.Index(fields=["unit_path"], name="problem_open_overdue",
                         condition=Q(is_overdue=True, state__in=["reported", "pending_assignment", "assigned",
                                                                 "rectifying", "submitted"])),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def tracking_display(self) -> str:
        code = self.tracking_code or ""
        return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


class RequestKind(models.TextChoices):
    RETURN = "return", "申请退回"
    COORDINATION = "coordination", "申请协调"
    EXTENSION = "extension", "申请延期"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已同意"
    REFUSED = "refused", "未同意"


class ProblemRequest(models.Model):
    """A handler's request that the office decides: return (not our duty), coordination
    (beyond our power), extension (more time)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(max_length=14, choices=RequestKind.choices)
    reason = models.TextField("理由")
    requested_deadline = models.DateTimeField("申请延至", null=True, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["problem"], condition=Q(status="pending"),
                                               name="one_pending_request")]


class ProblemEvent(models.Model):
    """One line of the problem's timeline. Never edited nor deleted: the database refuses it
    (core.appendonly), and ``seq``/``prev_hash``/``hash`` chain the events so that
    ``wenming audit-verify`` finds what was changed anyway (cases.timeline)."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_role = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(db_index=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    photos = models.ManyToManyField("core.Photo", blank=True, related_name="problem_events")
    seq = models.BigIntegerField(unique=True, editable=False)  # the chain's number, 1, 2, 3 …
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["problem", "at"])]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("the timeline is never edited")
        from django.db import transaction

        from . import timeline

        with transaction.atomic():
            if self.seq is None:  # an event saved on its own is linked here (without photos)
                timeline.link([self])
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the timeline is never edited")


class ProblemVersion(models.Model):
    """The fields the metrics read (cases.metrics.figures), as they stood from ``valid_from`` until
    ``valid_to`` (open: still in force). ``events.record`` closes the open version and writes a new one
    whenever it appends to the timeline of a problem that has ever been assigned, so a period's figures
    can be read as they stood at its end (``figures.as_of``): a deadline extended or a problem
    reassigned after a period closed does not move that period. Never-assigned problems count nowhere
    and have no versions."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="versions")
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20)
    unit_path = models.CharField(max_length=255, default="")
    assigned_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_on_time = models.BooleanField(null=True, blank=True)
    handling_hours = models.FloatField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(default=0)

    FIELDS = ("state", "unit_path", "assigned_at", "deadline", "closed_at", "closed_on_time", "handling_hours",
              "overdue_at", "rework_count")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["problem"], condition=Q(valid_to__isnull=True),
                                               name="problem_version_one_open")]
        indexes = [models.Index(fields=["valid_from"], name="problem_version_from")]

    @classmethod
    def of(cls, problem: Problem, at) -> "ProblemVersion":
        return cls(problem_id=problem.pk, valid_from=at, **{f: getattr(problem, f) for f in cls.FIELDS})


class AreaDayCount(models.Model):
    """Problems reported on one local day (Asia/Shanghai) in the area ``path`` — one row for each level
    of a problem's area path, so a unit's children are read at ``depth`` + 1 — per category, rejected
    and merged problems left out. Pre-aggregated by ``cases.metrics.daily`` for the dashboard's heat;
    never written by hand."""

    day = models.DateField()
    depth = models.PositiveSmallIntegerField()
    path = models.CharField(max_length=255)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["depth", "path", "day"], name="area_day_count")]


class AreaDay(models.Model):
    """A day whose ``AreaDayCount`` rows are complete (as of ``computed_at``); the row is also the lock
    two sweepers take before recomputing the same day."""

    day = models.DateField(primary_key=True)
    computed_at = models.DateTimeField()


class AreaDayMark(models.Model):
    """A computed day whose counts a later change made stale (a problem reported that day was rejected,
    merged or re-opened): insert-only, so marking never waits on a lock; the next refresh recomputes
    the day and deletes the marks it read."""

    day = models.DateField(db_index=True)
    at = models.DateTimeField(auto_now_add=True)


class PhotoPhase(models.TextChoices):
    BEFORE = "before", "整改前"
    AFTER = "after", "整改后"


class ProblemPhoto(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="photos")
    photo = models.ForeignKey("core.Photo", on_delete=models.PROTECT, related_name="+")
    phase = models.CharField(max_length=8, choices=PhotoPhase.choices)

    class Meta:
        ordering = ["id"]


class SlaUnit(models.TextChoices):
    HOURS = "hours", "工作小时"
    DAYS = "days", "工作日"


class SlaRule(models.Model):
    """Deadline for a category (or any, when blank) and severity; the most specific rule wins."""

    category = models.ForeignKey(Category, verbose_name="类别", null=True, blank=True, on_delete=models.CASCADE)
    severity = models.CharField("严重程度", max_length=12, choices=Severity.choices)
    limit = models.PositiveIntegerField("时限")
    limit_unit = models.CharField("单位", max_length=6, choices=SlaUnit.choices, default=SlaUnit.DAYS)
    warn_hours = models.PositiveIntegerField("提前预警（工作小时）", default=4)

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        constraints = [models.UniqueConstraint(fields=["category", "severity"], name="sla_unique",
                                               nulls_distinct=False)]


class EscalationStep(models.Model):
    """The 督办 ladder, configurable: what happens when a deadline passes and how long the unit
    gets before the next step."""

    level = models.PositiveSmallIntegerField("级别", choices=Escalation.choices, unique=True)
    grace_days = models.PositiveSmallIntegerField("整改新期限（工作日）", default=2)
    enabled = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["level"]


class RoutingRule(models.Model):
    """Category × area → responsible unit. A blank category matches any; the rule with the most
    specific category and the deepest area wins."""

    category = models.ForeignKey(Category, verbose_name="类别", null=True, blank=True, on_delete=models.CASCADE)
    area = models.ForeignKey("org.Unit", verbose_name="区域", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    target = models.ForeignKey("org.Unit", verbose_name="责任单位", on_delete=models.CASCADE, related_name="+")
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = "分派规则"
        verbose_name_plural = "分派规则"


def new_config_token() -> int:
    import secrets

    return secrets.randbits(62) + 1


class CaseSettings(models.Model):
    """One row: office hours and the windows the loop uses."""

    morning_start = models.TimeField("上午上班", default="08:30")
    morning_end = models.TimeField("上午下班", default="12:00")
    afternoon_start = models.TimeField("下午上班", default="14:00")
    afternoon_end = models.TimeField("下午下班", default="17:30")
    recurrence_days = models.PositiveSmallIntegerField("反弹认定期（天）", default=90)
    duplicate_radius_m = models.PositiveSmallIntegerField("重复问题半径（米）", default=50)
    # a new random value whenever a category or this row changes: the per-process caches of
    # cases/config.py are valid while it stays the same
    config_token = models.BigIntegerField(default=new_config_token, editable=False)


class CalendarOverride(models.Model):
    """A day the office marks as working or not, winning over the official calendar (e.g. a
    year whose holiday arrangement the calendar library does not know yet)."""

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班")
    note = models.CharField("说明", max_length=50, blank=True)


class CalendarYear(models.Model):
    """The office's word that it has entered a year's 调休 arrangement (the State Council's notice)
    as ``CalendarOverride`` days. For a year the calendar library does not cover, deadlines are
    counted on the computed statutory holidays (``core.worktime.statutory_holidays``) and carry a
    warning until this row exists (``escalation.sla.calendar_warning``)."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField("确认时间", auto_now_add=True)


class NoticeKind(models.TextChoices):
    NOTICE = "notice", "督办单"
    LETTER = "letter", "督办函"


class SupervisionNotice(models.Model):
    """A 督办单 or 督办函 to a unit for a problem it has not rectified in time — or for its part in a work-plan
    task (plans) past its 完成时限: the same ladder, numbering and document, the task instead of a problem."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="notices", null=True, blank=True)
    task = models.ForeignKey("plans.Task", verbose_name="任务", on_delete=models.PROTECT, related_name="notices",
                             null=True, blank=True)
    kind = models.CharField(max_length=8, choices=NoticeKind.choices)
    issuer = models.ForeignKey("org.Unit", verbose_name="发文单位", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    number = models.CharField("文号", max_length=40)
    unit = models.ForeignKey("org.Unit", verbose_name="被督办单位", on_delete=models.PROTECT, related_name="notices")
    addressees = models.TextField("主送", blank=True)
    # the deadline the problem had missed when the notice was issued: the document cites it, and a
    # later extension or 退回重改 must not rewrite an issued notice
    missed_deadline = models.DateTimeField("原整改期限", null=True, blank=True)
    deadline = models.DateTimeField("整改期限")
    issued_at = models.DateTimeField()
    body = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "kind", "year", "seq"], name="notice_number"),
                       models.CheckConstraint(condition=Q(problem__isnull=False, task__isnull=True)
                                              | Q(problem__isnull=True, task__isnull=False),
                                              name="notice_problem_or_task")]
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["issued_at"], name="notice_issued")]

    @property
    def subject(self) -> str:
        """What the notice is about, in a few words: the problem's code, or the plan's task."""
        if self.problem_id:
            return self.problem.code
        return f"{self.task.plan.title}第{self.task.seq}项"


class NoticeCounter(models.Model):
    issuer = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=NoticeKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "kind", "year"], name="notice_counter")]


class ProblemCounter(models.Model):
    """Sequence for readable problem codes per year (WT2026-000123)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Notification(models.Model):
    """The in-app inbox."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=120)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=200, blank=True)
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
