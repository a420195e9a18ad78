"""The archive's part of ``wenming sweep``: collect the linked evidence (archives.collect) and remind the units
whose materials for a requirement are not 齐全 — :data:`REMIND_DAYS` days before its 完成时限 and on the day
(once each, in their inbox: the unit's office and handlers)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from wenming.cases.models import Notification
from wenming.org.models import Membership

from . import collect, completeness, policy
from .models import Reminder, ReminderKind, Requirement

REMIND_DAYS = 7


@dataclass
class SweepResult:
    collected: collect.CollectResult
    reminded: int = 0


def remind(today: datetime.date | None = None) -> int:
    """Send the reminders due today; the number of (requirement, unit) reminded."""
    today = today or timezone.localdate()
    requirements = list(Requirement.objects.filter(
        is_active=True, due_date__isnull=False, due_date__gte=today - datetime.timedelta(days=1),
        due_date__lte=today + datetime.timedelta(days=REMIND_DAYS)).prefetch_related("point_types"))
    sent = 0
    for year in sorted({r.due_date.year for r in requirements}):
        of_year = [r for r in requirements if r.due_date.year == year]
        matrix = completeness.compute(of_year, Q(), year)
        units = {unit.pk: unit for unit in matrix.units}
        for requirement in of_year:
            kind = ReminderKind.DUE if today >= requirement.due_date else ReminderKind.BEFORE
            for unit_id in sorted(matrix.applies[requirement.pk]):
                cell = matrix.cell(requirement.pk, unit_id)
                if cell.state == completeness.COMPLETE:
                    continue
                try:
                    with transaction.atomic():
                        Reminder.objects.create(requirement=requirement, unit_id=unit_id,
                                                due_date=requirement.due_date, kind=kind)
                        _tell(requirement, units[unit_id], cell, kind)
                except IntegrityError:  # sent before (or by another sweeper at the same moment)
                    continue
                sent += 1
    return sent


def _tell(requirement: Requirement, unit, cell, kind: str) -> None:
    users = (Membership.objects.filter(unit=unit, role__in=sorted(policy.UPLOADERS), is_active=True,
                                       user__is_active=True).values_list("user_id", flat=True).distinct())
    when = "今天到期" if kind == ReminderKind.DUE else f"将于{requirement.due_date:%m月%d日}到期"
    title = f"档案材料{when}：{requirement.code} {requirement.title}（{cell.label}，已合格{cell.accepted}/{cell.needed}份）"
    url = reverse("archives:requirement", args=[requirement.pk]) + f"?unit={unit.pk}"
    Notification.objects.bulk_create([Notification(user_id=uid, title=title[:120], url=url) for uid in users])


def run(today: datetime.date | None = None) -> SweepResult:
    result = SweepResult(collected=collect.collect())
    result.reminded = remind(today)
    return result
