"""Writes to the evaluation system: import (Excel/YAML), copy into a new version, activate, retire,
and point types. Only the city office (the root unit's 创建办) manages the standards."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from wenming.cases.models import Category
from wenming.core import access, audit
from wenming.core.importer import write_all_or_nothing
from wenming.core.sheets import ImportReport, RowError, SheetError  # noqa: F401 — SheetError: what read_file raises

from . import formats
from .models import CheckItem, IndexSystem, Indicator, PointType, SystemStatus


class StandardsError(Exception):
    """A refused change; the message is Chinese."""


def require_manager(actor, what: str = "standards.manage", target=None) -> None:
    if not access.scope_for(actor).is_root_office:
        access.refuse_forbidden(actor, what, target)


def new_checker() -> formats.Checker:
    types = {}
    for code, name in PointType.objects.values_list("code", "name"):
        types[code] = code
        types[name] = code
    categories = set(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))
    return formats.Checker(types, categories)


def read_file(data: bytes, filename: str) -> tuple[formats.SystemData, formats.Checker]:
    """Parse an uploaded .xlsx/.csv/.yaml; SheetError when the file can't be read at all."""
    checker = new_checker()
    name = filename.lower()
    if name.endswith((".yaml", ".yml")):
        system = formats.read_yaml(data, checker)
    else:
        system = formats.read_sheet(data, filename, checker)
    return system, checker


def _write_content(system: IndexSystem, data: formats.SystemData) -> None:
    """Indicators level by level (parents first), then items and their point types."""
    for code, name in data.point_types:
        PointType.objects.get_or_create(code=code, defaults={"name": name, "sort": PointType.objects.count()})
    ids: dict[str, int] = {}
    for level in (1, 2, 3):
        batch = [Indicator(system=system, level=level, code=node.code, name=node.name, sort=position,
                           parent_id=ids[node.parent_code] if node.parent_code else None)
                 for position, node in enumerate(data.indicators) if node.level == level]
        for indicator in Indicator.objects.bulk_create(batch):
            ids[indicator.code] = indicator.pk
    if not all(ids.values()):  # backends that don't return ids from bulk_create
        ids = dict(Indicator.objects.filter(system=system).values_list("code", "id"))
    CheckItem.objects.bulk_create([
        CheckItem(system=system, indicator_id=ids[item.indicator_code], code=item.code, short_name=item.short_name,
                  content=item.content, rule_text=item.rule_text, method=item.method, score=item.score, rule_kind=item.rule_kind,
                  params=item.params, category_code=item.category_code, sort=position)
        for position, item in enumerate(data.items)
    ])
    item_ids = dict(CheckItem.objects.filter(system=system).values_list("code", "id"))
    type_ids = dict(PointType.objects.values_list("code", "id"))
    through = CheckItem.point_types.through
    through.objects.bulk_create([
        through(checkitem_id=item_ids[item.code], pointtype_id=type_ids[code])
        for item in data.items for code in item.point_types
    ])


def system_import(*, actor, data: bytes, filename: str, name: str = "", version: str = "",
                  into: IndexSystem | None = None) -> tuple[ImportReport, IndexSystem | None]:
    """Create a new draft system from a file — or, with ``into``, replace a draft's whole content.
    Everything is checked first; nothing is written unless the whole file is right."""
    require_manager(actor, "standards.import", into)
    system_data, checker = read_file(data, filename)
    report = ImportReport(errors=checker.errors)
    if into is None:
        system_data.name = (name or system_data.name).strip()
        system_data.version = (version or system_data.version).strip()
        head, refused = [], {error.column for error in report.errors if error.row is None}
        for column, text, limit, missing in (("体系名称", system_data.name, formats.NAME_MAX, "请填写测评体系名称"),
                                             ("版本", system_data.version, formats.VERSION_MAX, "请填写版本，如“2026版”")):
            problem = missing if not text else formats.too_long(column, text, limit)
            if problem and column not in refused:
                head.append(RowError(None, column, problem))
        taken = IndexSystem.objects.filter(name=system_data.name, version=system_data.version)
        if not head and not refused & {"体系名称", "版本"} and taken.exists():
            head.append(_version_taken(system_data))
        report.errors[:0] = head
    elif not into.editable:
        raise StandardsError("只有草稿状态的测评体系可以修改；请先复制为新版本")
    if not report.ok:
        return report, None
    try:                        # an IntegrityError: a point type of the file added at the same moment
        system = write_all_or_nothing(report, lambda: _import_write(actor, system_data, into, filename),
                                      conflict="导入时点位类型被同时修改", row=None, column="文件")
    except _VersionTaken:
        report.errors.insert(0, _version_taken(system_data))
        return report, None
    if system is None:
        return report, None
    report.created = len(system_data.items)
    return report, system


class _VersionTaken(Exception):
    """Another request wrote the same name and version after this one checked."""


def _version_taken(data: formats.SystemData) -> RowError:
    return RowError(None, "版本", f"已有“{data.name}（{data.version}）”，请换一个版本号")


def _import_write(actor, system_data: formats.SystemData, into: IndexSystem | None, filename: str) -> IndexSystem:
    """Runs in :func:`write_all_or_nothing`'s transaction."""
    if into is None:
        try:
            with transaction.atomic():       # (name, version) is the table's one unique constraint
                system = IndexSystem.objects.create(name=system_data.name, version=system_data.version,
                                                    description=system_data.description, created_by=actor)
        except IntegrityError:
            raise _VersionTaken from None
    else:
        system = IndexSystem.objects.select_for_update().get(pk=into.pk)
        if not system.editable:
            raise StandardsError("只有草稿状态的测评体系可以修改；请先复制为新版本")
        system.items.all().delete()
        system.indicators.all().delete()
        if system_data.description:
            system.description = system_data.description
            system.save(update_fields=["description", "updated_at"])
    _write_content(system, system_data)
    audit.record("standards.import", actor=actor, target=system,
                 detail={"file": filename[:100], "items": len(system_data.items),
                         "indicators": len(system_data.indicators), "replaced": into is not None})
    return system


def _builtin_data(name: str | None = None, version: str | None = None) -> formats.SystemData:
    from importlib.resources import files

    text = files("wenming.standards").joinpath("builtin/template.yaml").read_text(encoding="utf-8")
    checker = new_checker()
    data = formats.read_yaml(text, checker)
    if checker.errors:
        raise StandardsError("内置模板有误：" + "；".join(str(error) for error in checker.errors[:5]))
    data.name, data.version = name or data.name, version or data.version
    return data


def load_builtin(*, name: str | None = None, version: str | None = None, activate: bool = True) -> IndexSystem:
    """The built-in template (``builtin/template.yaml``), created once; used by the demo and the
    benchmarks. Not a user action, so no permission check; audited as the system. (The city
    office loads it from the standards page with :func:`builtin_load`.)"""
    data = _builtin_data(name, version)
    existing = IndexSystem.objects.filter(name=data.name, version=data.version).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        system = IndexSystem.objects.create(name=data.name, version=data.version, description=data.description,
                                            status=SystemStatus.ACTIVE if activate else SystemStatus.DRAFT)
        _write_content(system, data)
        audit.record("standards.builtin", target=system, username="system", detail={"items": len(data.items)})
    return system


def builtin_load(*, actor) -> tuple[IndexSystem, bool]:
    """载入内置模板: the city office creates the built-in template as a 草稿 — to check, adapt
    (用文件替换内容) and then 启用 like an imported system. Once only: when it is already there
    (in any status) it is returned as it is; returns (system, created)."""
    require_manager(actor, "standards.builtin")
    data = _builtin_data()
    existing = IndexSystem.objects.filter(name=data.name, version=data.version).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            system = IndexSystem.objects.create(name=data.name, version=data.version, description=data.description,
                                                status=SystemStatus.DRAFT, created_by=actor)
            _write_content(system, data)
            audit.record("standards.builtin", actor=actor, target=system, detail={"items": len(data.items)})
    except IntegrityError:       # loaded at the same moment by another request
        return IndexSystem.objects.get(name=data.name, version=data.version), False
    return system, True


def system_copy(*, actor, system: IndexSystem, version: str, name: str = "") -> IndexSystem:
    """Copy a system (any status) into a new draft version."""
    require_manager(actor, "standards.copy", system)
    version, name = version.strip(), (name or system.name).strip()
    if not version:
        raise StandardsError("请填写新版本号")
    if len(version) > 30 or len(name) > 100:
        raise StandardsError("名称最长100字，版本最长30字")
    if IndexSystem.objects.filter(name=name, version=version).exists():
        raise StandardsError(f"已有“{name}（{version}）”，请换一个版本号")
    try:
        return _copy_write(actor, system, name, version)
    except IntegrityError:      # the same name and version written by another request after the check
        raise StandardsError(f"已有“{name}（{version}）”，请换一个版本号") from None


def _copy_write(actor, system: IndexSystem, name: str, version: str) -> IndexSystem:
    with transaction.atomic():
        copy = IndexSystem.objects.create(name=name, version=version, description=system.description,
                                          copied_from=system, created_by=actor)
        old_to_new: dict[int, int] = {}
        for level in (1, 2, 3):
            sources = list(system.indicators.filter(level=level).order_by("id"))
            created = Indicator.objects.bulk_create([
                Indicator(system=copy, level=level, code=node.code, name=node.name, sort=node.sort,
                          parent_id=old_to_new.get(node.parent_id)) for node in sources])
            if created and created[0].pk is None:
                by_code = dict(copy.indicators.values_list("code", "id"))
                created = [Indicator(pk=by_code[node.code]) for node in sources]
            old_to_new.update({source.pk: new.pk for source, new in zip(sources, created)})
        items = list(system.items.prefetch_related("point_types").order_by("id"))
        CheckItem.objects.bulk_create([
            CheckItem(system=copy, indicator_id=old_to_new[item.indicator_id], code=item.code,
                      short_name=item.short_name, content=item.content, rule_text=item.rule_text, method=item.method, score=item.score, rule_kind=item.rule_kind,
                      params=item.params, category_code=item.category_code, sort=item.sort) for item in items])
        new_ids = dict(copy.items.values_list("code", "id"))
        through = CheckItem.point_types.through
        through.objects.bulk_create([through(checkitem_id=new_ids[item.code], pointtype_id=point_type.pk)
                                     for item in items for point_type in item.point_types.all()])
        audit.record("standards.copy", actor=actor, target=copy, detail={"from": system.pk, "items": len(items)})
    return copy


def system_set_status(*, actor, system: IndexSystem, status: str) -> IndexSystem:
    """草稿 → 在用 (启用), 在用 → 已停用 (停用), 已停用 → 在用. A draft without items can't be used."""
    require_manager(actor, "standards.status", system)
    allowed = {SystemStatus.DRAFT: {SystemStatus.ACTIVE}, SystemStatus.ACTIVE: {SystemStatus.RETIRED},
               SystemStatus.RETIRED: {SystemStatus.ACTIVE}}
    with transaction.atomic():
        locked = IndexSystem.objects.select_for_update().get(pk=system.pk)
        if status not in allowed[locked.status]:
            raise StandardsError(f"“{locked.get_status_display()}”的测评体系不能改为“{SystemStatus(status).label}”")
        if status == SystemStatus.ACTIVE and not locked.items.exists():
            raise StandardsError("测评体系还没有检查项，不能启用")
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        audit.record("standards.status", actor=actor, target=locked, detail={"from": before, "to": status})
    return locked


def point_type_create(*, actor, code: str, name: str) -> PointType:
    require_manager(actor, "standards.point_types")
    code, name = code.strip(), name.strip()
    if formats.point_type_code_error(code):
        raise StandardsError(formats.point_type_code_error(code))
    if not name or len(name) > 40:
        raise StandardsError("请填写名称（最长40字）")
    if PointType.objects.filter(code=code).exists():
        raise StandardsError(f"编码「{code}」已被使用")
    if PointType.objects.filter(name=name).exists():
        raise StandardsError(f"名称「{name}」已存在")
    with transaction.atomic():
        point_type = PointType.objects.create(code=code, name=name, sort=PointType.objects.count())
        audit.record("standards.point_type_create", actor=actor, target=point_type)
    return point_type
