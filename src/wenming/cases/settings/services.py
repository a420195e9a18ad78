"""Writes of the loop's configuration: SLA table, categories, routing, calendar, office hours,
督办 ladder. City (root) office only; each change is audited."""

from __future__ import annotations

from datetime import date, time

from django.db import IntegrityError, transaction

from wenming.core import access, audit, worktime
from wenming.core.errors import ServiceError
from wenming.org.models import Unit

from ..escalation import sla
from ..escalation.sla import case_settings
from ..models import (
    CalendarOverride,
    CalendarYear,
    Category,
    EscalationStep,
    RoutingRule,
    Severity,
    SlaRule,
    SlaUnit,
)


def require_config(actor) -> None:
    if not access.scope_for(actor).is_root_office:
        access.refuse_forbidden(actor, "cases.configure")


def sla_rule_save(*, actor, category: Category | None, severity: str, limit: int, limit_unit: str,
                  warn_hours: int) -> SlaRule:
    require_config(actor)
    if severity not in Severity.values:
        raise ServiceError("严重程度无效", field="severity")
    if limit_unit not in SlaUnit.values:
        raise ServiceError("时限单位无效", field="limit_unit")
    if limit < 0 or limit > 3650 or warn_hours < 0 or warn_hours > 2000:
        raise ServiceError("时限或预警时间超出合理范围", field="limit")
    with transaction.atomic():
        rule, created = SlaRule.objects.update_or_create(
            category=category, severity=severity,
            defaults={"limit": limit, "limit_unit": limit_unit, "warn_hours": warn_hours})
        audit.record("cases.sla_save", actor=actor, target=f"sla:{category.code if category else '*'}:{severity}",
                     detail={"limit": limit, "unit": limit_unit, "warn_hours": warn_hours, "created": created})
    return rule


def sla_rule_delete(*, actor, rule: SlaRule) -> None:
    require_config(actor)
    with transaction.atomic():
        audit.record("cases.sla_delete", actor=actor, target=f"sla:{rule.pk}",
                     detail={"category": rule.category.code if rule.category_id else None, "severity": rule.severity})
        rule.delete()


def category_save(*, actor, code: str, name: str, parent: Category | None, is_active: bool = True) -> Category:
    require_config(actor)
    code, name = code.strip(), name.strip()
    if not code or not code.isalnum() or len(code) > 20:
        raise ServiceError("类别编码只能是字母和数字，最长20位", field="code")
    if not name or len(name) > 50:
        raise ServiceError("类别名称不能为空，最长50个字", field="name")
    if parent is not None and parent.parent_id is not None:
        raise ServiceError("类别最多两级：上级类别必须是一级类别", field="parent")
    try:
        with transaction.atomic():
            category, created = Category.objects.update_or_create(
                code=code, defaults={"name": name, "parent": parent, "is_active": is_active})
            audit.record("cases.category_save", actor=actor, target=f"category:{code}",
                         detail={"name": name, "parent": parent.code if parent else None, "active": is_active,
                                 "created": created})
    except IntegrityError as error:
        raise ServiceError(f"类别编码{code}已被使用", field="code") from error
    return category


def routing_rule_save(*, actor, category: Category | None, area: Unit | None, target: Unit, note: str = "") -> RoutingRule:
    require_config(actor)
    for unit in (area, target):
        if unit is not None:
            access.require_visible(actor, unit)
    with transaction.atomic():
        rule = RoutingRule.objects.create(category=category, area=area, target=target, note=note[:100])
        audit.record("cases.routing_save", actor=actor, target=f"routing:{rule.pk}",
                     detail={"category": category.code if category else None, "area": area.code if area else None,
                             "target": target.code})
    return rule


def routing_rule_delete(*, actor, rule: RoutingRule) -> None:
    require_config(actor)
    with transaction.atomic():
        audit.record("cases.routing_delete", actor=actor, target=f"routing:{rule.pk}")
        rule.delete()


def calendar_override_save(*, actor, day: date, is_workday: bool, note: str = "") -> CalendarOverride:
    require_config(actor)
    with transaction.atomic():
        override, _ = CalendarOverride.objects.update_or_create(day=day, defaults={"is_workday": is_workday,
                                                                                   "note": note[:50]})
        audit.record("cases.calendar_save", actor=actor, target=f"calendar:{day.isoformat()}",
                     detail={"workday": is_workday, "note": note})
    return override


def calendar_override_delete(*, actor, override: CalendarOverride) -> None:
    require_config(actor)
    with transaction.atomic():
        audit.record("cases.calendar_delete", actor=actor, target=f"calendar:{override.day.isoformat()}")
        override.delete()


def calendar_year_confirm(*, actor, year: int) -> CalendarYear:
    """The office has entered ``year``'s 调休 (the State Council's notice) as calendar days: its
    deadlines stop carrying the estimate warning. Only for a year the calendar library lacks."""
    require_config(actor)
    if not worktime.holidays_computed(year):
        raise ServiceError(f"{year}年的节假日安排已内置在系统日历中，无需确认", field="year")
    with transaction.atomic():
        row, created = CalendarYear.objects.get_or_create(year=year, defaults={"confirmed_by": actor})
        if created:
            audit.record("cases.calendar_year_confirm", actor=actor, target=f"calendar_year:{year}",
                         detail={"overrides": CalendarOverride.objects.filter(day__year=year).count()})
    sla.forget_confirmed_years()
    return row


def calendar_year_withdraw(*, actor, year: int) -> None:
    """Withdraw the confirmation of ``year``: its deadlines carry the warning again."""
    require_config(actor)
    with transaction.atomic():
        deleted, _ = CalendarYear.objects.filter(year=year).delete()
        if deleted:
            audit.record("cases.calendar_year_withdraw", actor=actor, target=f"calendar_year:{year}")
    sla.forget_confirmed_years()


def office_hours_save(*, actor, morning_start: time, morning_end: time, afternoon_start: time, afternoon_end: time,
                      recurrence_days: int, duplicate_radius_m: int) -> None:
    require_config(actor)
    if not (morning_start < morning_end <= afternoon_start < afternoon_end):
        raise ServiceError("办公时间应为：上午上班 < 上午下班 ≤ 下午上班 < 下午下班", field="morning_start")
    if not (1 <= recurrence_days <= 730) or not (1 <= duplicate_radius_m <= 5000):
        raise ServiceError("反弹认定期应在1到730天之间，重复问题半径应在1到5000米之间", field="recurrence_days")
    with transaction.atomic():
        row = case_settings()
        row.morning_start, row.morning_end = morning_start, morning_end
        row.afternoon_start, row.afternoon_end = afternoon_start, afternoon_end
        row.recurrence_days, row.duplicate_radius_m = recurrence_days, duplicate_radius_m
        row.save()
        audit.record("cases.settings_save", actor=actor, target="case_settings",
                     detail={"hours": [str(morning_start), str(morning_end), str(afternoon_start), str(afternoon_end)],
                             "recurrence_days": recurrence_days, "radius": duplicate_radius_m})


def escalation_step_save(*, actor, level: int, grace_days: int, enabled: bool) -> EscalationStep:
    require_config(actor)
    if level not in (2, 3, 4):
        raise ServiceError("督办级别无效", field="level")
    if not 0 <= grace_days <= 60:
        raise ServiceError("整改新期限应在0到60个工作日之间", field="grace_days")
    with transaction.atomic():
        step, _ = EscalationStep.objects.update_or_create(level=level, defaults={"grace_days": grace_days,
                                                                                 "enabled": enabled})
        audit.record("cases.escalation_save", actor=actor, target=f"escalation:{level}",
                     detail={"grace_days": grace_days, "enabled": enabled})
    return step
