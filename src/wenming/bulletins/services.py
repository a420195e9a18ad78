"""Writes of 通报: draft, edit, generate the files (in the background), submit, review, issue.
Each checks bulletins.policy, runs in one transaction and writes an audit event; issuing takes the
issuer's next number, freezes the text and sends the bulletin to the named units' inboxes."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone

from wenming.cases.models import Notification
from wenming.core import access, audit, jobs
from wenming.core.errors import Conflict, ServiceError
from wenming.org.doccodes import claim_doc_code
from wenming.org.models import Membership, Role, Unit
from wenming.scoring.models import PeriodStatus

from . import builder, policy
from .documents import MAX_TEMPLATE_BYTES, check_template
from .errors import TemplateError
from .models import PERIOD_KINDS, Bulletin, BulletinCounter, BulletinKind, BulletinStatus, BulletinTemplate

LIMITS = {"title": (200, "标题"), "addressees": (300, "主送"), "cc": (300, "抄送"), "signature": (100, "落款"),
          "intro": (5000, "导语"), "requirements": (5000, "下步工作要求")}
RECIPIENT_ROLES = (Role.OFFICE, Role.HANDLER, Role.LEADER)


class BulletinError(ServiceError):
    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message, field=field, errors=errors)


def _clean(fields: dict) -> dict:
    errors, clean = {}, {}
    for name, value in fields.items():
        limit, label = LIMITS[name]
        value = (value or "").strip()
        if "\x00" in value:
            errors[name] = f"{label}含有不可见的控制字符，请删除后重试"
        elif len(value) > limit:
            errors[name] = f"{label}最多{limit}个字，现有{len(value)}个字"
        elif name in ("title", "signature") and not value:
            errors[name] = f"请填写{label}"
        clean[name] = value
    if errors:
        raise BulletinError("；".join(errors.values()), errors=errors)
    return clean


def bulletin_create(*, actor, kind: str, issuer: Unit, period=None, **fields) -> Bulletin:
    if not policy.may_draft(actor, issuer):
        access.refuse_forbidden(actor, "bulletins.create", target=issuer, unit=issuer)
    if kind not in BulletinKind.values:
        raise BulletinError("请选择通报类别", "kind")
    if kind in PERIOD_KINDS and period is None:
        raise BulletinError(f"{BulletinKind(kind).label}须选择已关闭的考核期", "period")
    if period is not None:
        if period.status != PeriodStatus.CLOSED:
            raise BulletinError("只能通报已关闭的考核期", "period")
        if kind in PERIOD_KINDS and period.kind != PERIOD_KINDS[kind]:
            raise BulletinError(f"{BulletinKind(kind).label}应选择{'周' if kind == 'weekly' else '月'}考核期", "period")
        if not period.scheme.root_path.startswith(issuer.path):
            raise BulletinError("所选考核期不在发文单位的范围内", "period")
    fields.setdefault("title", builder.default_title(kind, period))
    fields.setdefault("signature", builder.office_name(issuer))
    clean = _clean({k: fields.get(k, "") for k in LIMITS})
    with transaction.atomic():
        bulletin = Bulletin.objects.create(kind=kind, issuer=issuer, issuer_path=issuer.path, period=period,
                                           created_by=actor, **clean)
        audit.record("bulletins.create", actor=actor, target=bulletin, unit=issuer,
                     detail={"kind": kind, "title": bulletin.title, "period": period.label if period else ""})
    return bulletin


def bulletin_update(*, actor, bulletin: Bulletin, **fields) -> Bulletin:
    if not policy.manages(actor, bulletin):
        access.refuse_forbidden(actor, "bulletins.update", target=bulletin, unit=bulletin.issuer)
    clean = _clean({k: fields.get(k, "") for k in LIMITS})
    with transaction.atomic():
        locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if locked.status != BulletinStatus.DRAFT:
            raise Conflict("只能修改草稿；已送审的通报请审核人退回后再改。")
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.revision += 1
        locked.save()
        audit.record("bulletins.update", actor=actor, target=locked, unit=locked.issuer,
                     detail={"title": locked.title, "revision": locked.revision})
    return locked


def bulletin_generate(*, actor, bulletin: Bulletin):
    """Queue the .docx and PDF of the bulletin's current text (core.jobs); the job page shows progress."""
    from .jobs import bulletin_files  # the task module imports this one

    if not policy.may_generate(actor, bulletin):
        if policy.manages(actor, bulletin):
            raise BulletinError("已印发的通报不再重新生成")
        access.refuse_forbidden(actor, "bulletins.generate", target=bulletin, unit=bulletin.issuer)
    job = jobs.enqueue(actor=actor, kind="bulletins.generate", title=f"生成通报：{bulletin.title}"[:200],
                       params={"bulletin": bulletin.pk, "revision": bulletin.revision}, task=bulletin_files)
    Bulletin.objects.filter(pk=bulletin.pk).update(job=job)
    return job


def _fresh(bulletin: Bulletin) -> Bulletin:
    """The bulletin as it is now (a caller's copy may be older than a generation or a decision)."""
    return Bulletin.objects.select_related("issuer").get(pk=bulletin.pk)


def _step(actor, bulletin: Bulletin, allowed, permission: str, expected: str, to: str, **changes) -> Bulletin:
    bulletin = _fresh(bulletin)
    if not allowed(actor, bulletin):
        could = policy.reviews(actor, bulletin) if permission == "bulletins.review" else policy.manages(actor, bulletin)
        if not could:
            access.refuse_forbidden(actor, permission, target=bulletin, unit=bulletin.issuer)
        raise Conflict(f"该通报当前状态为“{bulletin.get_status_display()}”，不能执行此操作，请刷新后查看。")
    with transaction.atomic():
        locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if locked.status != expected:
            raise Conflict(f"该通报当前状态为“{locked.get_status_display()}”，可能已有他人处理，请刷新后查看。")
        locked.status = to
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(permission, actor=actor, target=locked, unit=locked.issuer,
                     detail={"status": to, **{k: str(v) for k, v in changes.items() if k == "review_note"}})
    return locked


def bulletin_submit(*, actor, bulletin: Bulletin) -> Bulletin:
    bulletin = _fresh(bulletin)
    if not bulletin.files_current and policy.may_submit(actor, bulletin):
        raise BulletinError("请先生成当前内容的Word和PDF文件，核对无误后再送审")
    locked = _step(actor, bulletin, policy.may_submit, "bulletins.submit", BulletinStatus.DRAFT,
                   BulletinStatus.SUBMITTED, submitted_at=timezone.now())
    _notify(_leaders_of(locked.issuer), f"通报待审核：{locked.title}", locked)
    return locked


def bulletin_review(*, actor, bulletin: Bulletin, approve: bool, note: str = "") -> Bulletin:
    if not policy.reviews(actor, bulletin):
        access.refuse_forbidden(actor, "bulletins.review", target=bulletin, unit=bulletin.issuer)
    note = (note or "").strip()
    if "\x00" in note or len(note) > 200:
        raise BulletinError("审核意见最多200个字，且不能含控制字符", "note")
    if not approve and not note:
        raise BulletinError("退回修改请填写审核意见", "note")
    locked = _step(actor, bulletin, policy.may_review, "bulletins.review", BulletinStatus.SUBMITTED,
                   BulletinStatus.APPROVED if approve else BulletinStatus.DRAFT,
                   reviewed_by=actor, reviewed_at=timezone.now(), review_note=note)
    _notify([locked.created_by_id], f"通报{'已审核通过' if approve else '被退回修改'}：{locked.title}", locked)
    return locked


def bulletin_issue(*, actor, bulletin: Bulletin):
    """印发: the next 文号 of the issuer's year, the text frozen, the final files generated in the
    background, the bulletin sent to the inboxes of the units it names."""
    bulletin = _fresh(bulletin)
    if not policy.may_issue(actor, bulletin):
        if policy.manages(actor, bulletin):
            raise Conflict(f"该通报当前状态为“{bulletin.get_status_display()}”，须经领导审核通过后才能印发。")
        access.refuse_forbidden(actor, "bulletins.issue", target=bulletin, unit=bulletin.issuer)
    with transaction.atomic():
        locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if locked.status != BulletinStatus.APPROVED:
            raise Conflict("该通报已印发或尚未审核，请刷新后查看。")
        now = timezone.now()
        year = timezone.localtime(now).year
        counter, _ = BulletinCounter.objects.select_for_update().get_or_create(issuer=locked.issuer, year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
        locked.year, locked.seq = year, counter.last
        locked.number = f"{claim_doc_code(locked.issuer)}通〔{year}〕{counter.last}号"
        locked.status, locked.issued_by, locked.issued_at = BulletinStatus.ISSUED, actor, now
        locked.revision += 1  # the files now carry the number: generated again below
        locked.save()
        units = builder.named_units(locked)
        locked.recipients.set(units)
        audit.record("bulletins.issue", actor=actor, target=locked, unit=locked.issuer,
                     detail={"number": locked.number, "recipients": len(units)})
        users = list(Membership.objects.filter(unit_id__in=units, role__in=RECIPIENT_ROLES, is_active=True,
                                               user__is_active=True).values_list("user_id", flat=True).distinct())
        _notify(users, f"{locked.number} {locked.title}", locked)
    from .jobs import bulletin_files

    job = jobs.enqueue(actor=actor, kind="bulletins.generate", title=f"生成通报：{locked.number}"[:200],
                       params={"bulletin": locked.pk, "revision": locked.revision}, task=bulletin_files)
    Bulletin.objects.filter(pk=locked.pk).update(job=job)
    locked.job = job
    return locked


def _leaders_of(issuer: Unit) -> list[int]:
    return list(Membership.objects.filter(unit_id__in=issuer.ancestor_ids() + [issuer.pk], role=Role.LEADER,
                                          is_active=True, user__is_active=True)
                .values_list("user_id", flat=True).distinct())


def _notify(user_ids, title: str, bulletin: Bulletin) -> None:
    from django.urls import reverse

    url = reverse("bulletins:detail", args=[bulletin.pk])
    Notification.objects.bulk_create([Notification(user_id=uid, title=title[:120], url=url)
                                      for uid in sorted(set(user_ids))])


# --- the office's Word 版式 ---------------------------------------------------------------------------------

def _template_bytes(template: BulletinTemplate) -> bytes:
    try:
        with template.file.open("rb") as handle:
            return handle.read()
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise BulletinError("该模板的文件已不存在，请重新上传模板") from exc


def template_data(template: BulletinTemplate | None) -> bytes | None:
    """The bytes a bulletin is rendered with (None: the shipped template)."""
    return None if template is None else _template_bytes(template)


def template_upload(*, actor, issuer: Unit, data: bytes, filename: str, note: str = "") -> BulletinTemplate:
    """Take an office's own .docx into use for its bulletins, after a trial render of a sample bulletin
    with it: a file that cannot make a bulletin is refused with every problem named, and nothing changes.
    The template in use until now stays on record."""
    if not policy.may_manage_templates(actor, issuer):
        access.refuse_forbidden(actor, "bulletins.template_upload", target=issuer, unit=issuer)
    filename = (filename or "").replace("\x00", "").strip()[-200:] or "模板.docx"
    note = (note or "").strip()
    if "\x00" in note or len(note) > 200:
        raise BulletinError("说明最多200个字，且不能含控制字符", "note")
    if not filename.lower().endswith(".docx"):
        raise BulletinError("请上传 Word 文档（.docx）；.doc 等旧格式请先在 Word 中“另存为 Word 文档（*.docx）”",
                            "file")
    if not data:
        raise BulletinError("上传的文件是空的", "file")
    if len(data) > MAX_TEMPLATE_BYTES:
        raise BulletinError(f"模板文件超过{MAX_TEMPLATE_BYTES // 1024 // 1024}MB，请压缩其中的图片后重新上传", "file")
    problems = check_template(data)
    if problems:
        raise TemplateError(problems)
    from django.core.files.base import ContentFile

    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=issuer.pk).first()  # one upload of an issuer at a time
        before = BulletinTemplate.objects.filter(issuer=issuer, is_active=True).first()
        BulletinTemplate.objects.filter(issuer=issuer, is_active=True).update(is_active=False)
        template = BulletinTemplate(issuer=issuer, filename=filename, size=len(data),
                                    sha256=hashlib.sha256(data).hexdigest(), note=note, uploaded_by=actor)
        template.file.save("template.docx", ContentFile(data), save=False)
        template.save()
        audit.record("bulletins.template_upload", actor=actor, target=template, unit=issuer,
                     detail={"filename": filename, "size": len(data), "sha256": template.sha256,
                             "replaced": before.filename if before else "系统默认模板"})
    return template


def template_activate(*, actor, template: BulletinTemplate) -> BulletinTemplate:
    """Take an earlier template of the issuer into use again (checked again: the renderer may have changed)."""
    issuer = template.issuer
    if not policy.may_manage_templates(actor, issuer):
        access.refuse_forbidden(actor, "bulletins.template_activate", target=template, unit=issuer)
    problems = check_template(_template_bytes(template))
    if problems:
        raise TemplateError(problems)
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=issuer.pk).first()
        BulletinTemplate.objects.filter(issuer=issuer, is_active=True).exclude(pk=template.pk).update(is_active=False)
        BulletinTemplate.objects.filter(pk=template.pk).update(is_active=True)
        audit.record("bulletins.template_activate", actor=actor, target=template, unit=issuer,
                     detail={"filename": template.filename})
    template.is_active = True
    return template


def template_reset(*, actor, issuer: Unit) -> int:
    """Go back to the shipped template: the issuer's own ones stay on record, none in use."""
    if not policy.may_manage_templates(actor, issuer):
        access.refuse_forbidden(actor, "bulletins.template_reset", target=issuer, unit=issuer)
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=issuer.pk).first()
        changed = BulletinTemplate.objects.filter(issuer=issuer, is_active=True).update(is_active=False)
        if changed:
            audit.record("bulletins.template_reset", actor=actor, target=issuer, unit=issuer, detail={})
    return changed
