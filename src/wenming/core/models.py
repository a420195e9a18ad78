"""Base model and the tamper-evident audit log."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models


def canonical_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditResult(models.TextChoices):
    SUCCESS = "success", "成功"
    FAILURE = "failure", "失败"
    DENIED = "denied", "拒绝"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise PermissionError("audit log is append-only")

    def delete(self):
        raise PermissionError("audit log is append-only")


class AuditEvent(models.Model):
    """One line of the audit log. Rows are chained: ``hash`` covers the row's content and the
    previous row's hash, so editing or removing any row breaks every hash after it
    (``wenming manage audit_verify`` finds the first broken row). References to users and units
    are plain ids, not foreign keys, so that no cascade can ever touch a row."""

    id = models.BigIntegerField(primary_key=True)  # the chain's sequence number, 1, 2, 3 …
    at = models.DateTimeField("时间", db_index=True)
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True, db_index=True)
    actor_username = models.CharField("操作人", max_length=150, blank=True)
    unit_id = models.BigIntegerField("所属单位ID", null=True, blank=True)
    unit_path = models.CharField(max_length=255, blank=True, db_index=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    target = models.CharField("对象", max_length=200, blank=True)
    result = models.CharField("结果", max_length=10, choices=AuditResult.choices)
    ip = models.CharField("来源地址", max_length=64, blank=True)
    # canonical JSON text, hashed exactly as stored (a JSON column may re-format numbers)
    detail_json = models.TextField("详情", default="{}", blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        indexes = [models.Index(fields=["action", "ip", "at"], name="audit_action_ip_at")]

    @property
    def detail(self) -> dict:
        return json.loads(self.detail_json or "{}")

    @detail.setter
    def detail(self, value: dict) -> None:
        self.detail_json = canonical_json(value)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit log is append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit log is append-only")


class AuditChainHead(models.Model):
    """Single row holding the last sequence number and hash; locking it serialises appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)


# --- photos ----------------------------------------------------------------------------------------

def _random_jpeg_name(folder: str) -> str:
    from uuid import uuid4

    from django.utils import timezone

    return f"{timezone.localtime():photos/%Y/%m/}{folder}{uuid4().hex}.jpg"


def photo_upload_to(instance, filename: str) -> str:  # noqa: ARG001 — the user's name is never used
    return _random_jpeg_name("")


def photo_thumb_upload_to(instance, filename: str) -> str:  # noqa: ARG001
    return _random_jpeg_name("thumbs/")


class Photo(models.Model):
    """One photo as the product stores it: re-encoded JPEG without metadata plus a thumbnail
    (see core.photos). Served only through ``core.views_photos`` — never straight from
    MEDIA_ROOT — to the uploader, to users whose scope sees ``unit``, or to anyone once public.
    File names are random; the uploader's file name is not kept."""

    image = models.FileField("照片", upload_to=photo_upload_to, max_length=200)
    thumbnail = models.FileField("缩略图", upload_to=photo_thumb_upload_to, max_length=200)
    width = models.PositiveIntegerField("宽度")
    height = models.PositiveIntegerField("高度")
    taken_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    sha256 = models.CharField("原图SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="photos_uploaded")
    unit = models.ForeignKey("org.Unit", verbose_name="所属单位", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="photos")
    is_public = models.BooleanField("已公开", default=False)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "照片"
        verbose_name_plural = "照片"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"照片{self.pk}"


# --- background jobs -------------------------------------------------------------------------------

class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    EXPIRED = "expired", "已过期"


def job_upload_to(instance, filename: str) -> str:
    """exports/2026/11/<random>.xlsx: the name shown to the user is kept in ``result_name``."""
    from pathlib import PurePath
    from uuid import uuid4

    from django.utils import timezone

    return f"{timezone.localtime():exports/%Y/%m/}{uuid4().hex}{PurePath(filename).suffix.lower()}"


class Job(models.Model):
    """Long work a user asked for and waits on (an export): run by the task queue (core.jobs),
    reported while it runs, its file downloadable by its owner alone until ``expires_at``."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.CASCADE,
                              related_name="jobs")
    kind = models.CharField("类型", max_length=64)
    title = models.CharField("名称", max_length=200)
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.PositiveBigIntegerField("已处理", default=0)
    progress_total = models.PositiveBigIntegerField("总数", null=True, blank=True)
    message = models.CharField("说明", max_length=500, blank=True)
    result_file = models.FileField("结果文件", upload_to=job_upload_to, max_length=200, blank=True)
    result_name = models.CharField("文件名", max_length=200, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    task_id = models.CharField("任务编号", max_length=64, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    expires_at = models.DateTimeField("文件保留至", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_created")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.status not in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def progress_text(self) -> str:
        """已处理 12,000 / 1,000,000 条 (digits grouped the same way as the job's message)."""
        total = f" / {self.progress_total:,}" if self.progress_total is not None else ""
        return f"已处理 {self.progress_done:,}{total} 条"

    @property
    def downloadable(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED) and bool(self.result_file)

    @property
    def waiting_long(self) -> bool:
        """Queued for over a minute: no worker may be running."""
        from django.utils import timezone

        return self.status == JobStatus.QUEUED and (timezone.now() - self.created_at).total_seconds() > 60

    @property
    def back(self) -> dict | None:
        """{"url", "label"} of the page the job was started from (core.jobs.enqueue ``back``)."""
        found = (self.params or {}).get("back")
        return found if isinstance(found, dict) and found.get("url") else None

    @property
    def writing_file(self) -> bool:
        """Every row is read; the file is being finished (compressed)."""
        return (self.status == JobStatus.RUNNING and self.progress_total is not None
                and self.progress_done >= self.progress_total)


# --- the outbound channel (SMS, e-mail) ------------------------------------------------------------

class OutboundChannel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "邮件"


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class OutboundMessage(models.Model):
    """One SMS or e-mail to a person, recorded when a service asks for it and delivered by the
    task queue once that service's transaction has committed (core.outbound). ``to`` is a phone
    number or an address: personal data, kept because it is needed to send, shown masked and
    never logged. A queued message with ``attempts`` > 0 is being retried; ``next_attempt_at``
    is when the next attempt is due."""

    channel = models.CharField("渠道", max_length=10, choices=OutboundChannel.choices)
    to = models.CharField("收件人", max_length=120)
    subject = models.CharField("主题", max_length=120, blank=True)
    body = models.TextField("内容")
    status = models.CharField("状态", max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    last_error = models.CharField("最近一次错误", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次尝试时间", null=True, blank=True)

    class Meta:
        verbose_name = "外发消息"
        verbose_name_plural = "外发消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_status_next")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}{self.pk}"

    @property
    def retrying(self) -> bool:
        return self.status == OutboundStatus.QUEUED and self.attempts > 0


from .models_tokens import ApiToken  # noqa: E402,F401  (API tokens, core/tokens.py)
