"""Where a linked material lives in the platform — and whether the viewer may follow it there: each source
app's own access policy decides, one query per source however many materials are shown."""

from __future__ import annotations

from django.urls import reverse

from wenming.bulletins.models import Bulletin
from wenming.bulletins.policy import bulletin_filter
from wenming.cases.policy import visible_problem_ids
from wenming.inspections.models import InspectionRound, RoundPoint, RoundStatus
from wenming.inspections.policy import round_filter, sees_everything
from wenming.places.policy import point_filter
from wenming.plans.models import Meeting, Task
from wenming.plans.policy import meeting_filter, task_filter

from .models import Source


def urls(user, evidences) -> dict[int, str]:
    """Evidence id → the URL of its linked record, for the records the user may open."""
    evidences = [e for e in evidences if e.source != Source.UPLOAD]
    found: dict[int, str] = {}
    meetings = {e.meeting_id for e in evidences if e.meeting_id}
    if meetings:
        seen = set(Meeting.objects.filter(meeting_filter(user), pk__in=sorted(meetings)).values_list("pk", flat=True))
        found.update({e.pk: reverse("plans:meeting", args=[e.meeting_id]) for e in evidences if e.meeting_id in seen})
    tasks = {e.report.task_id: e for e in evidences if e.report_id}
    if tasks:
        seen = set(Task.objects.filter(task_filter(user), pk__in=sorted(tasks)).values_list("pk", flat=True))
        found.update({e.pk: reverse("plans:task", args=[e.report.task_id]) for e in evidences
                      if e.report_id and e.report.task_id in seen})
    problems = {e.problem_id for e in evidences if e.problem_id}
    if problems:
        seen = visible_problem_ids(user, sorted(problems))
        found.update({e.pk: reverse("cases:detail", args=[e.problem.code]) for e in evidences
                      if e.problem_id in seen})
    results = [e for e in evidences if e.result_id]
    if results:
        rows = {rp.pk: rp for rp in RoundPoint.objects.filter(
            pk__in=sorted({e.result.inspection.round_point_id for e in results})).select_related("round")}
        rounds = set(InspectionRound.objects.filter(round_filter(user), pk__in=sorted({r.round_id for r in rows.values()}))
                     .values_list("pk", flat=True))
        in_scope = set(RoundPoint.objects.filter(pk__in=sorted(rows), point__in=_points(user))
                       .values_list("pk", flat=True))
        for e in results:
            row = rows.get(e.result.inspection.round_point_id)
            if row is None or row.round_id not in rounds:
                continue
            if sees_everything(user, row.round) or (row.round.status == RoundStatus.PUBLISHED and row.pk in in_scope):
                found[e.pk] = reverse("inspections:result", args=[row.pk])
    bulletins = {e.bulletin_id for e in evidences if e.bulletin_id}
    if bulletins:
        seen = set(Bulletin.objects.filter(bulletin_filter(user), pk__in=sorted(bulletins)).values_list("pk", flat=True))
        found.update({e.pk: reverse("bulletins:detail", args=[e.bulletin_id]) for e in evidences
                      if e.bulletin_id in seen})
    return found


def _points(user):
    from wenming.places.models import Point

    return Point.objects.filter(point_filter(user)).values("pk")
