"""Writes of the 创城档案: requirements derived from the index system and edited by the office; materials
uploaded by units (files checked by their content, the same file never handed in twice for the same
requirement and unit), reviewed by an office above (合格 / 退回 with a reason), withdrawn before they
pass. Each checks archives.policy, runs in one transaction and writes an audit event; the other side is
told in its inbox."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from wenming.cases.models import Notification
from wenming.cases.notify import nearest_office_users
from wenming.core import access, audit
from wenming.core.errors import Conflict, ValidationFailed
from wenming.org.models import Unit
from wenming.plans.services_reports import check_files, store_file
from wenming.standards.models import CheckItem, IndexSystem, Indicator, Method, PointType

from . import completeness, derive, policy
from .models import LINK_SOURCES, Evidence, EvidenceFile, EvidenceStatus, MaterialType, Requirement

TITLE_MAX, NOTE_MAX, DESCRIPTION_MAX = 200, 2000, 2000
MAX_COUNT, MAX_YEARS = 100, 10


def _text(value, limit: int, label: str, field: str, errors: dict, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = f"请填写{label}"
    elif "\x00" in value or len(value) > limit:
        errors[field] = f"{label}最多{limit}个字，且不能含空字符"
    return value


# --- requirements ---------------------------------------------------------------------------------------

@dataclass
class DeriveResult:
    created: int
    kept: int
    items: int


def requirements_derive(*, actor, system: IndexSystem, owner: Unit) -> DeriveResult:
    """Requirements for every 材料审核 item of ``system`` that has none yet (by its code); those already
    there — perhaps edited by the office — are kept as they are."""
    if not policy.may_manage(actor, owner):
        access.refuse_forbidden(actor, "archives.requirements_derive", target=owner, unit=owner)
    items = list(CheckItem.objects.filter(system=system, method=Method.DOCUMENT).select_related("indicator")
                 .prefetch_related("point_types").order_by("indicator__sort", "indicator__code", "code"))
    with transaction.atomic():
        existing = set(Requirement.objects.select_for_update().filter(system=system, owner=owner)
                       .values_list("code", flat=True))
        sort = Requirement.objects.filter(system=system, owner=owner).count()
        created = kept = 0
        for item in items:
            for draft in derive.derive(item.code, item.short_name or item.content[:20], item.content, item.rule_text):
                if draft.code in existing:
                    kept += 1
                    continue
                sort += 1
                requirement = Requirement.objects.create(
                    system=system, owner=owner, owner_path=owner.path, indicator=item.indicator, item=item,
                    code=draft.code, title=draft.title, description=draft.description,
                    material_type=draft.material_type, min_count=draft.min_count, years=draft.years,
                    auto_sources=draft.auto_sources, sort=sort)
                requirement.point_types.set(item.point_types.all())
                created += 1
        audit.record("archives.requirements_derive", actor=actor, target=system, unit=owner,
                     detail={"items": len(items), "created": created, "kept": kept})
    return DeriveResult(created=created, kept=kept, items=len(items))


@dataclass
class RequirementInput:
    title: str
    material_type: str
    description: str = ""
    min_count: int = 1
    years: int = 1
    due_date: datetime.date | None = None
    point_types: list[PointType] | None = None
    auto_sources: list[str] | None = None
    is_active: bool = True
    code: str = ""
    indicator: Indicator | None = None


def _requirement_fields(data: RequirementInput, *, new: bool, system: IndexSystem) -> dict:
    errors: dict[str, str] = {}
    clean = {"title": _text(data.title, 100, "材料名称", "title", errors, required=True),
             "description": _text(data.description, DESCRIPTION_MAX, "要求说明", "description", errors)}
    if data.material_type not in MaterialType.values:
        errors["material_type"] = "请选择材料类型"
    if isinstance(data.min_count, bool) or not isinstance(data.min_count, int) or not 1 <= data.min_count <= MAX_COUNT:
        errors["min_count"] = f"最少份数应为1到{MAX_COUNT}之间的整数"
    if isinstance(data.years, bool) or not isinstance(data.years, int) or not 0 <= data.years <= MAX_YEARS:
        errors["years"] = f"时段应为0（长期有效）到{MAX_YEARS}之间的整数"
    sources = list(dict.fromkeys(data.auto_sources or []))
    if any(s not in LINK_SOURCES for s in sources):
        errors["auto_sources"] = "自动归集来源不正确"
    if new:
        code = (data.code or "").strip()
        if not code or len(code) > 30 or "\x00" in code:
            errors["code"] = "请填写编号（最多30个字符）"
        if data.indicator is None or data.indicator.system_id != system.pk:
            errors["indicator"] = "请选择本测评体系的指标"
        clean.update(code=code, indicator=data.indicator)
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors=errors)
    clean.update(material_type=data.material_type, min_count=data.min_count, years=data.years,
                 due_date=data.due_date, auto_sources=[str(s) for s in sources], is_active=data.is_active)
    return clean


def requirement_create(*, actor, system: IndexSystem, owner: Unit, data: RequirementInput) -> Requirement:
    if not policy.may_manage(actor, owner):
        access.refuse_forbidden(actor, "archives.requirement_save", target=owner, unit=owner)
    clean = _requirement_fields(data, new=True, system=system)
    with transaction.atomic():
        if Requirement.objects.filter(system=system, owner=owner, code=clean["code"]).exists():
            raise ValidationFailed(f"编号“{clean['code']}”已被使用", field="code")
        sort = Requirement.objects.filter(system=system, owner=owner).count() + 1
        requirement = Requirement.objects.create(system=system, owner=owner, owner_path=owner.path, sort=sort,
                                                 **clean)
        requirement.point_types.set(data.point_types or [])
        audit.record("archives.requirement_save", actor=actor, target=requirement, unit=owner,
                     detail={"code": requirement.code, "title": requirement.title, "new": True})
    return requirement


def requirement_update(*, actor, requirement: Requirement, data: RequirementInput) -> Requirement:
    if not policy.may_manage_requirement(actor, requirement):
        access.refuse_forbidden(actor, "archives.requirement_save", target=requirement, unit=requirement.owner)
    clean = _requirement_fields(data, new=False, system=requirement.system)
    with transaction.atomic():
        locked = Requirement.objects.select_for_update().get(pk=requirement.pk)
        before = {key: getattr(locked, key) for key in clean}
        for key, value in clean.items():
            setattr(locked, key, value)
        locked.save()
        if data.point_types is not None:
            locked.point_types.set(data.point_types)
        changed = {key: str(value) for key, value in clean.items() if before[key] != value}
        audit.record("archives.requirement_save", actor=actor, target=locked, unit=locked.owner,
                     detail={"code": locked.code, "changed": changed})
    return locked


# --- materials ------------------------------------------------------------------------------------------

YEARS = (2000, 2100)


def evidence_upload(*, actor, requirement: Requirement, unit: Unit, year: int, title: str, note: str = "",
                    happened_on: datetime.date | None = None, files: list[tuple[bytes, str]] = ()) -> Evidence:
    """A unit hands in one material (one or more files) for a requirement and year; it waits for review."""
    if not policy.may_upload(actor, unit):
        access.refuse_forbidden(actor, "archives.evidence_upload", target=requirement, unit=unit)
    errors: dict[str, str] = {}
    title = _text(title, TITLE_MAX, "材料名称", "title", errors, required=True)
    note = _text(note, NOTE_MAX, "说明", "note", errors)
    if isinstance(year, bool) or not isinstance(year, int) or not YEARS[0] <= year <= YEARS[1]:
        errors["year"] = "年度不正确"
    if happened_on is not None and happened_on > timezone.localdate():
        errors["happened_on"] = "形成日期不能晚于今天"
    if not files:
        errors["files"] = "请选择要上传的文件"
    checked = check_files(files, errors, label="材料文件")
    hashes = [found.sha256 for _, _, found in checked]
    if len(set(hashes)) < len(hashes):
        errors["files"] = "同一个文件选了两次，请去掉重复的文件"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors=errors)
    if not requirement.is_active:
        raise Conflict("该材料要求已停用，不再收取材料")
    if unit.pk not in completeness.applicable_units([requirement], Q(pk=unit.pk))[requirement.pk]:
        raise ValidationFailed(f"材料要求“{requirement.code}”不适用于{unit.name}", field="unit")
    with transaction.atomic():
        Requirement.objects.select_for_update().filter(pk=requirement.pk).first()  # one upload at a time
        again = (EvidenceFile.objects.filter(evidence__requirement=requirement, evidence__unit=unit,
                                             sha256__in=hashes)
                 .exclude(evidence__status=EvidenceStatus.RETURNED).select_related("evidence").first())
        if again is not None:
            raise ValidationFailed(f"文件“{again.filename}”已在材料“{again.evidence.title}”中上传过，无需重复上传",
                                   field="files")
        evidence = Evidence.objects.create(requirement=requirement, unit=unit, unit_path=unit.path, year=year,
                                           title=title, note=note, happened_on=happened_on, uploaded_by=actor)
        for data, filename, found in checked:
            store_file(EvidenceFile(evidence=evidence), data, filename, found)
        audit.record("archives.evidence_upload", actor=actor, target=evidence, unit=unit,
                     detail={"requirement": requirement.code, "year": year, "files": len(checked)})
        _tell(_reviewers(unit), f"档案材料待审核：{unit.name} {requirement.code} {title}", evidence)
    return evidence


def evidence_review(*, actor, evidence: Evidence, accept: bool, note: str = "") -> Evidence:
    if not policy.may_review(actor, evidence):
        access.refuse_forbidden(actor, "archives.evidence_review", target=evidence, unit=evidence.unit)
    note = (note or "").strip()
    if "\x00" in note or len(note) > 200:
        raise ValidationFailed("审核意见最多200个字，且不能含空字符", field="note")
    if not accept and not note:
        raise ValidationFailed("退回请填写理由", field="note")
    with transaction.atomic():
        locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
        wanted = EvidenceStatus.ACCEPTED if accept else EvidenceStatus.RETURNED
        if locked.status == wanted or (not locked.is_link and locked.status != EvidenceStatus.SUBMITTED):
            raise Conflict(f"该材料已{locked.get_status_display()}，请刷新后查看")
        locked.status, locked.reviewed_by, locked.reviewed_at, locked.review_note = wanted, actor, timezone.now(), note
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
        audit.record("archives.evidence_review", actor=actor, target=locked, unit=locked.unit,
                     detail={"requirement": locked.requirement_id, "accept": accept, "note": note})
        if locked.uploaded_by_id:
            _tell([locked.uploaded_by_id], f"档案材料{'审核合格' if accept else '被退回'}：{locked.title}"
                                           + ("" if accept else f"（{note}）"), locked)
    return locked


def evidence_withdraw(*, actor, evidence: Evidence) -> None:
    if not policy.may_withdraw(actor, evidence):
        if evidence.status == EvidenceStatus.ACCEPTED and policy.may_upload(actor, evidence.unit):
            raise Conflict("已审核合格的材料不能撤回")
        access.refuse_forbidden(actor, "archives.evidence_withdraw", target=evidence, unit=evidence.unit)
    with transaction.atomic():
        locked = Evidence.objects.select_for_update().filter(pk=evidence.pk).first()
        if locked is None:
            return
        if locked.status == EvidenceStatus.ACCEPTED:
            raise Conflict("已审核合格的材料不能撤回")
        audit.record("archives.evidence_withdraw", actor=actor, target=locked, unit=locked.unit,
                     detail={"requirement": locked.requirement_id, "title": locked.title})
        locked.delete()


def _reviewers(unit: Unit) -> list[int]:
    """The office of the nearest unit above ``unit`` that has one (the one that reviews its materials)."""
    return nearest_office_users(unit.parent)


def _tell(user_ids, title: str, evidence: Evidence) -> None:
    url = reverse("archives:requirement", args=[evidence.requirement_id]) + f"?unit={evidence.unit_id}"
    Notification.objects.bulk_create([Notification(user_id=uid, title=title[:120], url=url)
                                      for uid in sorted(set(user_ids))])

