"""Points (点位): the places inspected against the evaluation system (DESIGN.md §6)."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models

from wenming.core.models import TimeStampedModel

PASS_SCORE = Decimal(60)   # a point whose latest score is at or above this is 达标 (dashboard, plans)


def new_qr_token() -> str:
    return secrets.token_urlsafe(12)


class Point(TimeStampedModel):
    """A place of a type (社区, 农贸市场, 公共厕所 …) that a unit answers for. ``area`` is the unit
    whose territory it lies in (its grid, else community or street); ``unit`` the responsible
    unit (a community, a street, a department such as 市场监管局 for a market). Paths are copied
    like a problem's, so a subtree's points are one indexed prefix filter."""

    code = models.CharField("点位编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=100)
    point_type = models.ForeignKey("standards.PointType", verbose_name="点位类型", on_delete=models.PROTECT,
                                   related_name="points")
    unit = models.ForeignKey("org.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="points")
    area = models.ForeignKey("org.Unit", verbose_name="所在区域（网格）", on_delete=models.PROTECT,
                             related_name="points_in_area")
    unit_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    area_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    patron = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="包保领导", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="patron_points")
    address = models.CharField("地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    photo = models.ForeignKey("core.Photo", verbose_name="照片", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # the QR code carries this token, not the id: printed sheets can be revoked by a new token
    qr_token = models.CharField(max_length=24, unique=True, default=new_qr_token, editable=False)
    # the latest published score (written when a round's results are published), for the map
    latest_score = models.DecimalField("最近得分", max_digits=5, decimal_places=2, null=True, blank=True)
    latest_scored_at = models.DateTimeField("最近测评时间", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "点位"
        verbose_name_plural = "点位"
        ordering = ["code"]
        # updated_at: the stamp of the points' figures (dashboard.selectors.points): every change to a
        # point — saved, published score — moves it, and the newest is one index lookup
        indexes = [models.Index(fields=["point_type", "unit"]), models.Index(fields=["updated_at"], name="point_updated")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.unit_path = self.unit.path
        self.area_path = self.area.path
        super().save(*args, **kwargs)
