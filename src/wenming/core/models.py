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
