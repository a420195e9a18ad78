"""Reads of rounds, inspections and results, scoped to the user.

Who sees a round and its results:

* its **managers** — an office at or above the round's owner unit (for a 自查, also the owning
  unit's own staff) — see everything at every stage;
* its **inspectors** see the round and the points assigned to them — the inspector of a point, and
  every member of the point's 督查组 (``RoundPoint.team``) whose account may inspect the round
  (:func:`may_inspect`);
* everyone else whose scope holds points of the round sees the round once it is open and its
  results for those points **once it is published**; a **暗访** is not shown to them at all
  before it is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import or_

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from wenming.core import access
from wenming.org.models import Unit

from .models import Inspection, InspectionRound, InspectionSettings, ItemResult, RoundPoint, RoundStatus
from .policy import (  # noqa: F401  (the access rules, re-exported for the selectors' callers)
    INSPECTOR_ROLES,
    SELF_CHECK_ROLES,
    _member_teams,
    _points_qs,
    group_points,
    inspects,
    manages,
    may_change_ranking_rule,
    may_configure,
    may_inspect,
    may_plan_any,
    member_team_ids,
    plannable_unit_filter,
    planning_office_paths,
    results_visible,
    round_filter,
    sees_everything,
)


def inspection_settings() -> InspectionSettings:
    """The office's inspection rules: the one row, or (unsaved) the defaults until the office sets them."""
    return InspectionSettings.objects.order_by("pk").first() or InspectionSettings()


def rounds(user) -> QuerySet[InspectionRound]:
    """The rounds the user may see, newest first (without their progress: see with_progress)."""
    return (InspectionRound.objects.filter(round_filter(user)).select_related("system", "owner")
            .order_by("-period_start", "-id"))


def with_progress(rounds_: list[InspectionRound]) -> list[InspectionRound]:
    """Set ``total`` and ``done`` (points in the sample, points inspected) on these rounds, in one
    query over their round points only — not a join over every round's samples."""
    rounds_ = list(rounds_)
    counts = {row["round_id"]: row for row in RoundPoint.objects.filter(round__in=[r.pk for r in rounds_])
              .values("round_id").annotate(total=Count("id"), done=Count("id", filter=Q(status=RoundPoint.Status.DONE)))
              .order_by()}
    for round_ in rounds_:
        row = counts.get(round_.pk, {})
        round_.total, round_.done = row.get("total", 0), row.get("done", 0)
    return rounds_


def ranked_units_visible(user, round_: InspectionRound) -> set[int] | None:
    """The responsible units whose rows of a round's ranking and figures the user may see: None
    (all) for those who see the whole round; else the units of his sample that his scope sees — not a
    unit outside it whose point merely lies in his area (its figures cover points he may not see)."""
    if sees_everything(user, round_):
        return None
    sample_units = round_points(user, round_).values("unit_id")
    return set(Unit.objects.filter(access.scope_for(user).unit_filter(), pk__in=sample_units)
               .values_list("pk", flat=True))


def plannable_units(user) -> list:
    """Units the user may own a round for (policy.plannable_unit_filter), in tree order, all of them."""
    return list(Unit.objects.filter(plannable_unit_filter(user), is_active=True).order_by("path"))


def round_for(user, pk: int) -> InspectionRound:
    round_ = rounds(user).filter(pk=pk).first()
    if round_ is None:
        access.refuse_not_found(user, "inspections.round", target=f"InspectionRound#{pk}")
    return with_progress([round_])[0]


def round_points(user, round_: InspectionRound) -> QuerySet[RoundPoint]:
    """The sample as this user may see it: all of it for those who see everything; an
    inspector's own assignments; the points in the user's scope otherwise."""
    qs = RoundPoint.objects.filter(round=round_).select_related("point", "point__point_type", "unit", "inspector", "team")
    if sees_everything(user, round_):
        return qs
    from wenming.places.selectors import point_filter

    scope = access.scope_for(user)
    mine = Q(inspector_id=scope.user_id) | group_points(user)
    return qs.filter(mine | Q(point__in=_points_qs(point_filter(user))))


def assignments(user) -> QuerySet[RoundPoint]:
    """An inspector's to-do: his points in open rounds, and those of his 督查组 — those begun
    (测评中) first, then those still to do (待测评), each by the round's period (earliest deadline
    first); then those done, the most recently done first."""
    stage = Case(When(status=RoundPoint.Status.DRAFT, then=Value(0)),
                 When(status=RoundPoint.Status.PENDING, then=Value(1)), default=Value(2), output_field=IntegerField())
    user_id = access.scope_for(user).user_id
    if user_id is None:
        return RoundPoint.objects.none()
    mine = Q(inspector_id=user_id) | group_points(user)
    return (RoundPoint.objects.filter(mine, round__status=RoundStatus.OPEN)
            .select_related("round", "point", "point__point_type", "unit", "team")
            .annotate(stage=stage)
            .order_by("stage", F("done_at").desc(nulls_last=True), "round__period_end", "round__period_start",
                      "point__code"))


def open_assignments_at(user, point) -> QuerySet[RoundPoint]:
    return assignments(user).filter(point=point).exclude(status=RoundPoint.Status.DONE)


def point_history(user, point) -> list[RoundPoint]:
    """Done round points of this point whose results the user may see, newest first."""
    rows = list(RoundPoint.objects.filter(point=point, status=RoundPoint.Status.DONE)
                .select_related("round", "inspector", "inspection__inspector").order_by("-done_at", "-id")[:50])
    user_id = access.scope_for(user).user_id
    teams = set(_member_teams(user_id).values_list("team_id", flat=True)) if user_id and any(
        row.team_id for row in rows) else set()
    return [row for row in rows if results_visible(user, row.round, row, teams)]


def results(round_point: RoundPoint) -> QuerySet[ItemResult]:
    return (ItemResult.objects.filter(inspection__round_point=round_point)
            .select_related("item", "item__indicator", "problem").prefetch_related("photos").order_by("item__sort", "item_id"))


def inspection_of(round_point: RoundPoint) -> Inspection | None:
    return Inspection.objects.filter(round_point=round_point).select_related("inspector").first()


# --- 复制上一轮: the settings of the round that follows the latest one -----------------------------

def previous_round(user, *, owner: Unit, kind: str) -> InspectionRound | None:
    """The latest round of ``kind`` that ``owner`` organised, when the user may plan such a round
    (policy.may_plan: he then manages it); None when there is none."""
    from .policy import may_plan

    if not may_plan(user, owner, kind):
        return None
    return (InspectionRound.objects.filter(owner=owner, kind=kind).select_related("system", "owner")
            .order_by("-period_start", "-id").first())


def _add_months(first_day: date, months: int) -> date:
    years, month = divmod(first_day.month - 1 + months, 12)
    return date(first_day.year + years, month + 1, 1)


def next_period(start: date, end: date) -> tuple[date, date]:
    """The period after ``start``–``end``, as long as it: whole calendar months (a 月考核 of
    11-01 to 11-30) move to the following month(s), any other period by its number of days."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return _add_months(start, months), _add_months(start, 2 * months) - timedelta(days=1)
    days = timedelta(days=(end - start).days + 1)
    return start + days, end + days


_YEAR_MONTH = re.compile(r"(\d{4})年(\d{1,2})月")
_NUMBERED = re.compile(r"第(\d{1,4})(周|期|次|轮|月)")
_MONTH = re.compile(r"(?<!\d)(\d{1,2})月")


def next_title(title: str, kind: str) -> str:
    """The title of the next round as cities number them: 第47周测评 → 第48周测评, 2026年11月考核 →
    2026年12月考核, 11月暗访 → 12月暗访 (a monthly kind); other titles are kept as they are."""
    match = _YEAR_MONTH.search(title)
    if match:
        year, month = int(match[1]), int(match[2])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return f"{title[:match.start()]}{year}年{month}月{title[match.end():]}"
    match = _NUMBERED.search(title)
    if match:
        return f"{title[:match.start()]}第{int(match[1]) + 1}{match[2]}{title[match.end():]}"
    match = _MONTH.search(title)
    if match and kind != "weekly" and 1 <= int(match[1]) <= 12:
        return f"{title[:match.start()]}{int(match[1]) % 12 + 1}月{title[match.end():]}"
    return title


@dataclass
class FollowingRound:
    """What 复制上一轮 fills in: the previous round's settings for the next period. ``notes`` say
    what could not be carried over as it was (a system since retired, a unit or group gone)."""

    previous: InspectionRound
    title: str
    system: object | None
    scope: list
    period_start: date
    period_end: date
    groups: list
    notes: list[str]

    def initial(self) -> dict:
        """The new-round form's initial values (forms.RoundForm field names)."""
        previous = self.previous
        values = {"title": self.title, "kind": previous.kind, "owner": previous.owner_id,
                  "scope": [unit.pk for unit in self.scope], "period_start": self.period_start,
                  "period_end": self.period_end, "sample_mode": previous.sample_mode,
                  "min_sample": previous.min_sample, "groups": [team.pk for team in self.groups]}
        if self.system is not None:
            values["system"] = self.system.pk
        values.update({f"size_{code}": value for code, value in (previous.sample_sizes or {}).items()})
        values.update({f"weight_{code}": value for code, value in (previous.weights or {}).items()})
        return values


def following_round(previous: InspectionRound) -> FollowingRound:
    """The settings of the round after ``previous``: its kind, system, scope, sampling (mode, sizes
    per point type — the seed is drawn anew, or every week would sample the same points), weights
    and 督查组, for the next period. Its 督查组 are those planned for it, or, for a round planned
    without, those its sample was shared among; only those still eligible are kept."""
    from wenming.org.models import Team
    from wenming.standards.models import SystemStatus

    from .services import eligible_groups

    notes = []
    system = previous.system if previous.system.status == SystemStatus.ACTIVE else None
    if system is None:
        notes.append(f"上一轮的测评体系“{previous.system}”已不在用，请另选")
    scope = list(previous.scope.order_by("path"))
    gone = [unit for unit in scope if not unit.is_active]
    if gone:
        notes.append("测评范围中已停用的单位未复制：" + "、".join(unit.name for unit in gone))
    planned = list(previous.groups.order_by("unit__path", "sort", "id"))
    if not planned:
        planned = list(Team.objects.filter(pk__in=RoundPoint.objects.filter(round=previous, team__isnull=False)
                                           .values("team_id")).order_by("unit__path", "sort", "id"))
    eligible = set(eligible_groups(previous).filter(pk__in=[team.pk for team in planned])
                   .values_list("pk", flat=True))
    lost = [team for team in planned if team.pk not in eligible]
    if lost:
        notes.append("已不能参加测评的督查组未复制：" + "、".join(team.name for team in lost))
    start, end = next_period(previous.period_start, previous.period_end)
    return FollowingRound(previous=previous, title=next_title(previous.title, previous.kind), system=system,
                          scope=[unit for unit in scope if unit.is_active], period_start=start, period_end=end,
                          groups=[team for team in planned if team.pk in eligible], notes=notes)


def plannable_groups(user) -> QuerySet:
    """督查组 the user may plan rounds for: those of the units he may own a round for and of the units
    below them — and, for an office's rounds, of the units above them (services.eligible_groups
    says, per round, which; a 自查 is served from its own unit down)."""
    from wenming.org.models import Team, TeamKind

    units = plannable_units(user)
    if not units:
        return Team.objects.none()
    offices = planning_office_paths(user)
    ancestors = {int(part) for unit in units if any(unit.path.startswith(path) for path in offices)
                 for part in unit.path.strip("/").split("/") if part}
    below = reduce(or_, [Q(unit__path__startswith=unit.path) for unit in units])
    return (Team.objects.filter(below | Q(unit_id__in=ancestors), kind=TeamKind.INSPECTION_GROUP, unit__is_active=True)
            .select_related("unit").order_by("unit__path", "sort", "id"))
