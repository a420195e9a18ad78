"""通报 (DESIGN.md §8): a document an office issues — 周通报, 月通报 of a closed assessment period,
专项通报, 通报批评, 表扬通报 — drafted (regenerable), reviewed by a leader, then issued: numbered
(机关代字〔年〕N号), frozen, sent to the named units' inboxes and archived with its .docx and PDF."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from wenming.core.models import TimeStampedModel


class BulletinKind(models.TextChoices):
    WEEKLY = "weekly", "周通报"
    MONTHLY = "monthly", "月通报"
    SPECIAL = "special", "专项通报"
    CRITICISM = "criticism", "通报批评"
    COMMENDATION = "commendation", "表扬通报"


# the kinds that publish a closed assessment period's results
PERIOD_KINDS = {BulletinKind.WEEKLY: "week", BulletinKind.MONTHLY: "month"}


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已审核"
    ISSUED = "issued", "已印发"


def bulletin_upload_to(instance: Bulletin, filename: str) -> str:
    return f"bulletins/{instance.issuer_id}/{filename}"


def template_upload_to(instance: BulletinTemplate, filename: str) -> str:
    return f"bulletins/templates/{instance.issuer_id}/{uuid.uuid4().hex}.docx"


class BulletinTemplate(TimeStampedModel):
    """An office's own Word 版式 for its 通报 (its 版头, fonts, margins, 版记): the issuer's one active
    template makes every file it generates; without one the shipped template does. Earlier uploads stay
    on record (which bulletin was made with which is kept) and can be taken into use again."""

    issuer = models.ForeignKey("org.Unit", verbose_name="发文单位", on_delete=models.PROTECT, related_name="+")
    file = models.FileField("模板文件", upload_to=template_upload_to, max_length=200)
    filename = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    note = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT,
                                    related_name="+")
    is_active = models.BooleanField("使用中", default=True)

    class Meta:
        verbose_name = "通报模板"
        verbose_name_plural = "通报模板"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["issuer"], condition=Q(is_active=True),
                                               name="bulletin_template_one_active")]

    def __str__(self) -> str:
        return self.filename


class Bulletin(TimeStampedModel):
    kind = models.CharField("类别", max_length=14, choices=BulletinKind.choices)
    issuer = models.ForeignKey("org.Unit", verbose_name="发文单位", on_delete=models.PROTECT, related_name="+")
    issuer_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    period = models.ForeignKey("scoring.Period", verbose_name="考核期", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="bulletins")
    title = models.CharField("标题", max_length=200)
    addressees = models.CharField("主送", max_length=300, blank=True)
    cc = models.CharField("抄送", max_length=300, blank=True)
    signature = models.CharField("落款", max_length=100)
    intro = models.TextField("导语", blank=True)
    requirements = models.TextField("下步工作要求", blank=True)
    status = models.CharField("状态", max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    seq = models.PositiveIntegerField("顺序号", null=True, blank=True)
    number = models.CharField("文号", max_length=40, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="起草人", on_delete=models.PROTECT,
                                   related_name="+")
    submitted_at = models.DateTimeField("送审时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=200, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="印发人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("印发时间", null=True, blank=True)
    # the units the document names: they receive it when it is issued
    recipients = models.ManyToManyField("org.Unit", verbose_name="发送单位", blank=True, related_name="+")
    docx = models.FileField("Word文件", upload_to=bulletin_upload_to, max_length=200, blank=True)
    pdf = models.FileField("PDF文件", upload_to=bulletin_upload_to, max_length=200, blank=True)
    generated_at = models.DateTimeField("生成时间", null=True, blank=True)
    # the 版式 the files were made with (empty: the shipped template)
    template = models.ForeignKey(BulletinTemplate, verbose_name="版式模板", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    # which state of the text the files show: bumped by every edit, copied into the files' generation
    revision = models.PositiveIntegerField(default=1)
    generated_revision = models.PositiveIntegerField(default=0)
    job = models.ForeignKey("core.Job", verbose_name="生成任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")

    class Meta:
        verbose_name = "通报"
        verbose_name_plural = "通报"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["issuer", "year", "seq"], name="bulletin_number_once")]

    def __str__(self) -> str:
        return self.number or self.title

    @property
    def files_current(self) -> bool:
        return bool(self.docx) and self.generated_revision == self.revision


class BulletinCounter(models.Model):
    """The issuer's last 通报 number of a year (locked while a number is taken)."""

    issuer = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="bulletin_counter_once")]
