"""Writes of the inspection side: plan a round, draw its sample, assign inspectors, open, close and
publish it; keep an inspector's draft; submit an inspection (idempotently) into item results and
scores; raise a problem for each failed item; re-check problems in a 复查 round.

Who may do what:
* a round is planned and run by an office at or above its owner unit; a 自查 round also by the
  owning unit's handler, for the unit's own points;
* an inspection is recorded by the inspector assigned to the point (for a 自查, the unit's staff
  member assigned to it) or, when the point is shared to a 督查组, by any member of the group whose
  account may inspect the round; the inspection records who did it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from wenming.cases import policy as cases_policy
from wenming.cases.escalation import sla
from wenming.cases.intake import services as intake_services
from wenming.cases.models import (
    Category,
    Notification,
    Problem,
    Severity,
    Source,
    State,
)
from wenming.cases.workflow import services as case_services
from wenming.cases.workflow.routing import active_rules, suggest
from wenming.core import access, audit
from wenming.core.models import Photo
from wenming.org.models import (
    Membership,
    Role,
    Team,
    TeamKind,
    TeamMember,
    TeamPost,
    Unit,
)
from wenming.places.models import Point
from wenming.standards import rules
from wenming.standards.models import CheckItem, IndexSystem, SystemStatus

from . import selectors
from .models import (
    Inspection,
    InspectionRound,
    ItemResult,
    RoundKind,
    RoundPoint,
    RoundStatus,
    SampleMode,
)

TWO = Decimal("0.01")
MAX_SAMPLE = 20000
INSPECTOR_ROLES = selectors.INSPECTOR_ROLES
SELF_CHECK_ROLES = selectors.SELF_CHECK_ROLES


class InspectionError(Exception):
    """A refused change; the message is Chinese. ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- planning ------------------------------------------------------------------------------------

def _require_planner(actor, owner: Unit, kind: str, permission: str, target=None) -> None:
    scope = access.scope_for(actor)
    if any(owner.path.startswith(path) for path, _, role in scope.grants if role == Role.OFFICE):
        return
    if kind == RoundKind.SELF_CHECK and any(unit_id == owner.pk and role == Role.HANDLER
                                            for _, unit_id, role in scope.grants):
        return
    if not scope.sees_unit(owner):
        access.refuse_not_found(actor, "inspections.round", target or owner)
    access.refuse_forbidden(actor, permission, target or owner, owner)


def _require_manager(actor, round_: InspectionRound, permission: str) -> None:
    if not selectors.manages(actor, round_):
        if not selectors.rounds(actor).filter(pk=round_.pk).exists():
            access.refuse_not_found(actor, "inspections.round", round_)
        access.refuse_forbidden(actor, permission, round_, round_.owner)


def _clean_sizes(values: dict, what: str) -> dict:
    clean = {}
    for code, value in (values or {}).items():
        try:
            number = Decimal(str(value))
        except Exception:  # noqa: BLE001
            raise InspectionError(f"{what}「{code}」应为数字") from None
        if number < 0 or number > 10000:
            raise InspectionError(f"{what}「{code}」应在0到10000之间")
        clean[str(code)] = int(number) if number == number.to_integral_value() else float(number)
    return clean


def round_create(*, actor, title: str, kind: str, system: IndexSystem, owner: Unit, scope_units: list[Unit],
                 period_start: date, period_end: date, sample_mode: str = SampleMode.ALL,
                 sample_sizes: dict | None = None, sample_seed: int | None = None,
                 weights: dict | None = None) -> InspectionRound:
    _require_planner(actor, owner, kind, "inspections.round_create")
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise InspectionError("请填写轮次名称（最长100字）", "title")
    if kind not in RoundKind.values:
        raise InspectionError("轮次类型无效", "kind")
    if system.status != SystemStatus.ACTIVE:
        raise InspectionError("请选择“在用”的测评体系", "system")
    if period_end < period_start:
        raise InspectionError("结束日期不能早于开始日期", "period_end")
    if not scope_units:
        raise InspectionError("请选择测评范围（至少一个单位）", "scope")
    for unit in scope_units:
        if not unit.path.startswith(owner.path):
            raise InspectionError(f"“{unit.name}”不在组织单位“{owner.name}”的范围内", "scope")
    if kind == RoundKind.SELF_CHECK and any(unit.pk != owner.pk and not unit.path.startswith(owner.path)
                                            for unit in scope_units):
        raise InspectionError("自查只能检查本单位的点位", "scope")
    if sample_mode not in SampleMode.values:
        raise InspectionError("抽样方式无效", "sample_mode")
    sizes = _clean_sizes(sample_sizes or {}, "抽样数量")
    if sample_mode == SampleMode.STRATIFIED and not any(sizes.values()):
        raise InspectionError("分层抽样须至少为一种点位类型填写抽样数量", "sample_sizes")
    with transaction.atomic():
        round_ = InspectionRound.objects.create(
            title=title, kind=kind, system=system, owner=owner, owner_path=owner.path, period_start=period_start,
            period_end=period_end, sample_mode=sample_mode, sample_sizes=sizes,
            sample_seed=sample_seed if sample_seed is not None else random.SystemRandom().randrange(1, 2**31),
            weights=_clean_sizes(weights or {}, "权重"), created_by=actor)
        round_.scope.set(scope_units)
        audit.record("inspections.round_create", actor=actor, target=round_, unit=owner,
                     detail={"kind": kind, "scope": [unit.code for unit in scope_units], "mode": sample_mode})
    return round_


# a 复查 round samples the points where a problem raised by an earlier inspection awaits its re-check
RECHECK_SAMPLE_STATES = [State.SUBMITTED]


def candidate_points(round_: InspectionRound) -> list[Point]:
    """Active points in the round's scope whose type the round's system has items for. For a 复查,
    only those with a problem awaiting re-check (待复核) raised by an item of the round's system
    that applies to the point's type — so every point sampled has something to re-check."""
    from functools import reduce
    from operator import or_

    from django.db.models import Exists, OuterRef, Q

    paths = [unit.path for unit in round_.scope.all()]
    if not paths:
        return []
    types = CheckItem.objects.filter(system=round_.system).values("point_types")
    in_scope = reduce(or_, [Q(unit_path__startswith=path) for path in paths])
    points = Point.objects.filter(in_scope, is_active=True, point_type__in=types)
    if round_.kind == RoundKind.RECHECK:
        awaiting = ItemResult.objects.filter(
            inspection__round_point__point=OuterRef("pk"), problem__state__in=RECHECK_SAMPLE_STATES,
            item__system=round_.system, item__point_types=OuterRef("point_type_id"))
        points = points.filter(Exists(awaiting))
    return list(points.select_related("point_type", "unit").order_by("code"))


def draw_sample(round_: InspectionRound) -> list[Point]:
    """The sample the round's settings and seed give, always the same for the same points: every
    candidate, or per (responsible unit, point type) stratum a random choice of the set size."""
    points = candidate_points(round_)
    if round_.sample_mode == SampleMode.ALL:
        return points
    return stratified_sample(points, round_.sample_sizes, round_.sample_seed)


def stratified_sample(points: list[Point], sizes: dict, seed) -> list[Point]:
    """Per (responsible unit, point type) stratum, ``sizes[type]`` points drawn at random with a
    generator seeded by ``seed`` and the stratum. Strata and their members are keyed by codes, not
    database ids, so a restored or re-imported database draws the same sample from the same seed.
    ``points`` need their unit and point type loaded."""
    strata: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for point in sorted(points, key=lambda p: p.code):
        strata[(point.unit.code, point.point_type.code)].append(point)
    chosen = []
    for (unit_code, type_code), members in sorted(strata.items()):
        size = int(sizes.get(type_code, 0))
        if size <= 0:
            continue
        generator = random.Random(f"{seed}:{unit_code}:{type_code}")
        chosen += members if size >= len(members) else generator.sample(members, size)
    return sorted(chosen, key=lambda point: point.pk)


def round_sample(*, actor, round_: InspectionRound, seed: int | None = None) -> int:
    """(Re)draw the sample of a round in preparation; assignments are reset. Returns its size."""
    _require_manager(actor, round_, "inspections.round_sample")
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status != RoundStatus.DRAFT:
            raise InspectionError("只有准备中的轮次可以抽样")
        if seed is not None:
            locked.sample_seed = seed
            locked.save(update_fields=["sample_seed", "updated_at"])
        points = draw_sample(locked)
        if not points and locked.kind == RoundKind.RECHECK:
            raise InspectionError("测评范围内没有待复查的点位（复查只抽取有“待复核”测评问题的点位）")
        if not points:
            raise InspectionError("测评范围内没有符合条件的点位（请检查范围、点位类型和抽样数量）")
        if len(points) > MAX_SAMPLE:
            raise InspectionError(f"样本超过{MAX_SAMPLE}个点位，请缩小范围或改用分层抽样")
        RoundPoint.objects.filter(round=locked).delete()
        RoundPoint.objects.bulk_create([RoundPoint(round=locked, point=point, unit_id=point.unit_id,
                                                   unit_path=point.unit_path) for point in points])
        audit.record("inspections.round_sample", actor=actor, target=locked, unit=locked.owner,
                     detail={"seed": locked.sample_seed, "points": len(points)})
    round_.sample_seed = locked.sample_seed
    return len(points)


def _may_inspect(user, round_: InspectionRound) -> bool:
    return selectors.may_inspect(user, round_)


def _reach(round_: InspectionRound) -> Q:
    """Units (as ``unit__…``) whose people serve the round: the owner unit, its ancestors and its
    subtree (a city's 测评员 serve its districts too) — for a 自查, the owning unit and below."""
    if round_.kind == RoundKind.SELF_CHECK:
        return Q(unit__path__startswith=round_.owner_path)
    ancestors = [int(part) for part in round_.owner_path.strip("/").split("/") if part]
    return Q(unit__path__startswith=round_.owner_path) | Q(unit_id__in=ancestors)


def eligible_inspectors(round_: InspectionRound):
    """People who may be assigned points of the round: the inspectors of the owner unit, its
    ancestors and its subtree (a city's 测评员 serve its districts too) — for a 自查, the staff
    (经办人, 网格员, 督查员, 创建办) of the owning unit and below."""
    from wenming.org.models import User

    roles = SELF_CHECK_ROLES if round_.kind == RoundKind.SELF_CHECK else INSPECTOR_ROLES
    ids = Membership.objects.filter(_reach(round_), is_active=True, role__in=roles).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


def eligible_groups(round_: InspectionRound):
    """督查组 (teams of kind inspection_group) the round's points may be shared among: those owned by
    the units whose inspectors serve the round (:func:`eligible_inspectors`) — the owner unit, its
    ancestors and its subtree; for a 自查, the owning unit and below."""
    return (Team.objects.filter(_reach(round_), kind=TeamKind.INSPECTION_GROUP, unit__is_active=True)
            .select_related("unit").order_by("unit__path", "sort", "id"))


def group_inspectors(team: Team, round_: InspectionRound) -> list:
    """The members of a 督查组 who may inspect the round's points: those with an active account that
    :func:`selectors.may_inspect` admits, the 组长 first, then in the group's order."""
    members = (TeamMember.objects.filter(team=team, user__isnull=False, user__is_active=True)
               .select_related("user").order_by("sort", "id"))
    users, seen = [], set()
    for member in sorted(members, key=lambda m: m.team_post != TeamPost.LEADER):
        if member.user_id not in seen and selectors.may_inspect(member.user, round_):
            users.append(member.user)
        seen.add(member.user_id)
    return users


def _group_lead(team: Team, round_: InspectionRound, field: str):
    """The account a group's points are assigned to (its 组长's, else its first member's who may
    inspect); refuses a team that is no 督查组 of the round or has nobody who may inspect."""
    if team.kind != TeamKind.INSPECTION_GROUP or not eligible_groups(round_).filter(pk=team.pk).exists():
        raise InspectionError(f"“{team.name}”不是可参加本轮次的督查组", field)
    people = group_inspectors(team, round_)
    if not people:
        raise InspectionError(f"督查组“{team.name}”没有可参加本轮次测评的成员账号，请先在“领导小组与工作组”中"
                              f"为组长或成员关联督查员账号", field)
    return people[0]


def _group_member_ids(round_: InspectionRound, team_ids) -> dict[int, set[int]]:
    """team id → ids of its members who may inspect the round."""
    team_ids = {team_id for team_id in team_ids if team_id}
    if not team_ids:
        return {}
    members, allowed = defaultdict(set), {}
    for member in (TeamMember.objects.filter(team_id__in=team_ids, team__kind=TeamKind.INSPECTION_GROUP,
                                             user__isnull=False, user__is_active=True).select_related("user")):
        if member.user_id not in allowed:
            allowed[member.user_id] = selectors.may_inspect(member.user, round_)
        if allowed[member.user_id]:
            members[member.team_id].add(member.user_id)
    return members


def round_assign(*, actor, round_: InspectionRound, inspectors: list | None = None,
                 round_points: list[RoundPoint] | None = None, teams: list[Team] | None = None) -> int:
    """Share the (given, or all unassigned) points of the sample among the inspectors — or among
    督查组 (``teams``): a group's points carry the team and, as their inspector, the account of its
    组长 (else of its first member who may inspect), and every member who may inspect finds them in
    我的测评. Each unit's points are kept together as far as the shares allow. Returns how many
    were assigned."""
    _require_manager(actor, round_, "inspections.round_assign")
    if teams:
        if inspectors:
            raise InspectionError("请选择测评员或督查组之一", "teams")
        teams = list({team.pk: team for team in teams}.values())
        shares = [(_group_lead(team, round_, "teams"), team) for team in teams]
    else:
        if not inspectors:
            raise InspectionError("请选择测评员", "inspectors")
        for inspector in inspectors:
            if not inspector.is_active or not _may_inspect(inspector, round_):
                raise InspectionError(f"“{inspector.display_name}”不是可参加本轮次的测评员", "inspectors")
        shares = [(inspector, None) for inspector in inspectors]
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
            raise InspectionError("轮次已结束，不能再分配")
        rows = (RoundPoint.objects.filter(pk__in=[rp.pk for rp in round_points]) if round_points is not None
                else RoundPoint.objects.filter(round=locked, inspector__isnull=True))
        rows = list(rows.filter(round=locked).exclude(status=RoundPoint.Status.DONE).order_by("unit_path", "point_id"))
        share = -(-len(rows) // len(shares)) if rows else 0
        for index, row in enumerate(rows):
            row.inspector, row.team = shares[index // share]
        RoundPoint.objects.bulk_update(rows, ["inspector", "team"])
        detail = {"points": len(rows), "inspectors": [inspector.username for inspector, _ in shares]}
        if teams:
            detail["teams"] = [team.name for team in teams]
        audit.record("inspections.round_assign", actor=actor, target=locked, unit=locked.owner, detail=detail)
        if locked.status == RoundStatus.OPEN:
            _notify_inspectors(locked, {row.inspector_id for row in rows}, {row.team_id for row in rows})
    return len(rows)


def round_reassign(*, actor, round_: InspectionRound, round_points: list[RoundPoint], inspector=None,
                   team: Team | None = None) -> int:
    """Hand the given points of a round in preparation or under way to another inspector (a sick
    测评员's, say) or to a 督查组 (``team``: its points as :func:`round_assign` gives them). Points
    already done are refused; a point begun (测评中) loses the previous inspector's draft — the new
    one inspects it afresh. While the round is open the new inspector (or group) is notified as when
    it opened, and those who lose points are told. Returns how many changed hands."""
    _require_manager(actor, round_, "inspections.round_reassign")
    if not round_points:
        raise InspectionError("请勾选要改派的点位", "round_points")
    if team is not None:
        if inspector is not None:
            raise InspectionError("请选择新的测评员或督查组之一", "inspector")
        inspector = _group_lead(team, round_, "inspector")
        target = receiver = f"督查组“{team.name}”"
    elif inspector is None:
        raise InspectionError("请选择新的测评员或督查组", "inspector")
    elif not inspector.is_active or not eligible_inspectors(round_).filter(pk=inspector.pk).exists():
        raise InspectionError(f"“{inspector.display_name}”不是可参加本轮次的测评员", "inspector")
    else:
        target, receiver = f"“{inspector.display_name}”", inspector.display_name
    team_id = team.pk if team is not None else None
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
            raise InspectionError("轮次已结束，不能改派测评员")
        ids = {row.pk for row in round_points}
        rows = list(RoundPoint.objects.select_for_update(of=("self",)).filter(pk__in=ids, round=locked)
                    .select_related("point", "inspector", "team").order_by("unit_path", "point__code"))
        if len(rows) != len(ids):
            raise InspectionError("所选点位不属于本轮次", "round_points")
        done = [row for row in rows if row.status == RoundPoint.Status.DONE]
        if done:
            more = f"等 {len(done)} 个点位" if len(done) > 1 else ""
            raise InspectionError(f"“{done[0].point.name}”{more}已完成测评，不能改派", "round_points")
        moved = [row for row in rows if (row.inspector_id, row.team_id) != (inspector.pk, team_id)]
        if not moved:
            raise InspectionError(f"所选点位已经分配给{target}", "inspector")
        # who loses points: their inspector and the members of their group, unless still in charge
        members = _group_member_ids(locked, {row.team_id for row in moved} | {team_id})
        keeps = {inspector.pk} | members.get(team_id, set())
        previous = defaultdict(int)
        for row in moved:
            for user_id in ({row.inspector_id} | members.get(row.team_id, set())) - keeps - {None}:
                previous[user_id] += 1
        begun = [row.pk for row in moved if row.status == RoundPoint.Status.DRAFT]
        Inspection.objects.filter(round_point_id__in=begun, status=Inspection.Status.DRAFT).delete()
        RoundPoint.objects.filter(pk__in=[row.pk for row in moved]).update(inspector=inspector, team=team)
        RoundPoint.objects.filter(pk__in=begun).update(status=RoundPoint.Status.PENDING)
        detail = {"points": [row.point.code for row in moved][:100], "count": len(moved), "to": inspector.username,
                  "from": sorted({row.inspector.username for row in moved if row.inspector_id}),
                  "drafts_discarded": len(begun)}
        if team is not None:
            detail["team"] = team.name
        if any(row.team_id for row in moved):
            detail["from_teams"] = sorted({row.team.name for row in moved if row.team_id})
        audit.record("inspections.round_reassign", actor=actor, target=locked, unit=locked.owner, detail=detail)
        if locked.status == RoundStatus.OPEN:
            _notify_inspectors(locked, {inspector.pk}, {team_id})
            Notification.objects.bulk_create([
                Notification(user_id=user_id, title=f"测评任务调整：{locked.title}",
                             body=f"您的 {count} 个点位已改派给{receiver}，无需再测评。",
                             url="/inspections/mine/")
                for user_id, count in previous.items()])
    return len(moved)


def _notify_inspectors(round_: InspectionRound, user_ids, team_ids=()) -> None:
    """Tell each of these inspectors, and each member of these 督查组 who may inspect, how many
    unfinished points of the round are theirs (their own and their groups')."""
    user_ids = {user_id for user_id in user_ids if user_id}
    team_ids = {team_id for team_id in team_ids if team_id}
    members = _group_member_ids(round_, team_ids)
    points = defaultdict(set)
    for pk, inspector_id, team_id in (RoundPoint.objects.filter(round=round_)
                                      .filter(Q(inspector_id__in=user_ids) | Q(team_id__in=team_ids))
                                      .exclude(status=RoundPoint.Status.DONE)
                                      .values_list("pk", "inspector_id", "team_id")):
        if inspector_id in user_ids:
            points[inspector_id].add(pk)
        for user_id in members.get(team_id, ()):
            points[user_id].add(pk)
    Notification.objects.bulk_create([
        Notification(user_id=user_id, title=f"测评任务：{round_.title}",
                     body=f"您有 {len(pks)} 个点位待测评，截止 {round_.period_end:%Y-%m-%d}。", url="/inspections/mine/")
        for user_id, pks in points.items()])


def round_open(*, actor, round_: InspectionRound) -> InspectionRound:
    _require_manager(actor, round_, "inspections.round_open")
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status != RoundStatus.DRAFT:
            raise InspectionError("只有准备中的轮次可以开始")
        total = RoundPoint.objects.filter(round=locked).count()
        if not total:
            raise InspectionError("请先抽取样本点位")
        unassigned = RoundPoint.objects.filter(round=locked, inspector__isnull=True).count()
        if unassigned:
            raise InspectionError(f"还有 {unassigned} 个点位没有分配测评员")
        locked.status, locked.opened_at = RoundStatus.OPEN, timezone.now()
        locked.save(update_fields=["status", "opened_at", "updated_at"])
        audit.record("inspections.round_open", actor=actor, target=locked, unit=locked.owner, detail={"points": total})
        staffed = list(RoundPoint.objects.filter(round=locked).values_list("inspector_id", "team_id")
                       .order_by().distinct())
        _notify_inspectors(locked, {inspector_id for inspector_id, _ in staffed}, {team_id for _, team_id in staffed})
    return locked


def round_close(*, actor, round_: InspectionRound) -> InspectionRound:
    _require_manager(actor, round_, "inspections.round_close")
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status != RoundStatus.OPEN:
            raise InspectionError("只有进行中的轮次可以结束")
        locked.status, locked.closed_at = RoundStatus.CLOSED, timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        undone = RoundPoint.objects.filter(round=locked).exclude(status=RoundPoint.Status.DONE).count()
        audit.record("inspections.round_close", actor=actor, target=locked, unit=locked.owner, detail={"undone": undone})
    return locked


# rounds whose published scores become the points' 最近得分: the office's full inspections — not a
# unit's own 自查, nor a 复查 that scores only the few items it re-checks
LATEST_SCORE_KINDS = {RoundKind.WEEKLY, RoundKind.MONTHLY, RoundKind.UNANNOUNCED, RoundKind.THIRD_PARTY}


def round_publish(*, actor, round_: InspectionRound) -> InspectionRound:
    """Results become visible to the inspected units; a 暗访's problems are raised now and its
    photos pass to the inspected units; the points' latest scores move to this round's (周测评, 月考核, 暗访 and 第三方测评 only)."""
    _require_manager(actor, round_, "inspections.round_publish")
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status != RoundStatus.CLOSED:
            raise InspectionError("请先结束轮次，再发布结果")
        locked.status, locked.published_at = RoundStatus.PUBLISHED, timezone.now()
        locked.save(update_fields=["status", "published_at", "updated_at"])
        done = list(RoundPoint.objects.filter(round=locked, status=RoundPoint.Status.DONE)
                    .select_related("point").order_by("id"))
        scored = done if locked.kind in LATEST_SCORE_KINDS else []
        for row in scored:
            point = row.point
            if point.latest_scored_at is None or point.latest_scored_at <= row.done_at:
                Point.objects.filter(pk=point.pk).update(latest_score=row.score, latest_scored_at=row.done_at)
        if locked.kind == RoundKind.UNANNOUNCED:
            # a 暗访's photos were kept under the organiser until now; they become the inspected
            # unit's, like any round's (who sees a photo follows its unit, core.views_photos)
            for unit_id in {row.unit_id for row in done}:
                Photo.objects.filter(item_results__inspection__round_point__round=locked,
                                     item_results__inspection__round_point__unit_id=unit_id).update(unit_id=unit_id)
        raised = 0
        if locked.kind != RoundKind.RECHECK:     # a 复查 acts on the problems it re-checked, raises none
            for inspection in Inspection.objects.filter(round_point__round=locked, status=Inspection.Status.SUBMITTED):
                raised += raise_problems(inspection)
        audit.record("inspections.round_publish", actor=actor, target=locked, unit=locked.owner,
                     detail={"points": len(done), "latest_scores": len(scored), "problems_raised": raised})
    return locked


# --- inspecting ----------------------------------------------------------------------------------

@dataclass
class Answer:
    """What the inspector recorded for one item (from the form or the API)."""

    verdict: str = ""          # pass / partial / fail / na
    met: int | None = None     # grade by conditions: how many conditions are met
    rate: str = ""             # grade by rate: the measured rate in %
    count: str = ""            # deduction: occurrences found
    note: str = ""
    photos: list = field(default_factory=list)   # core.Photo rows
    # grade by conditions: which conditions are met (1-based positions); ``met`` is their number
    conditions: list[int] | None = None

    def __post_init__(self):
        if self.conditions is not None:
            self.conditions = sorted(set(self.conditions))
            if self.met is None:
                self.met = len(self.conditions)

    def as_rule_answer(self) -> dict:
        """What ``rules.evaluate`` takes (it scores ``met``), with the conditions ticked alongside."""
        if self.verdict == "na":
            return {"verdict": "na"}
        answer = {"verdict": self.verdict, "met": self.met, "rate": self.rate, "count": self.count}
        if self.conditions is not None:
            answer["conditions"] = self.conditions
        return answer

    def as_draft(self) -> dict:
        return {"verdict": self.verdict, "met": self.met, "conditions": self.conditions, "rate": self.rate,
                "count": self.count, "note": self.note, "photos": [photo.pk for photo in self.photos]}

    def conditions_error(self, item: CheckItem) -> str | None:
        """Why the conditions ticked don't fit the item (positions beyond its list, a count that
        is not theirs); None when they fit or none were given."""
        if self.conditions is None or self.verdict == "na":
            return None
        if item.rule_kind != "grade" or (item.params or {}).get("by") != "conditions":
            return "该检查项不按条件评等级"
        total = len(item.params.get("conditions") or [])
        if any(not isinstance(c, int) or isinstance(c, bool) or not 1 <= c <= total for c in self.conditions):
            return f"勾选的条件无效（该项共{total}个条件）"
        if self.met != len(self.conditions):
            return "满足的条件数与勾选的条件不一致"
        return None


def items_for(round_point: RoundPoint) -> list[CheckItem]:
    """The items an inspector answers at this point: those of the round's system for its type —
    in a 复查, only those whose earlier failure raised a problem now awaiting re-check."""
    items = list(CheckItem.objects.filter(system=round_point.round.system,
                                          point_types=round_point.point.point_type_id)
                 .select_related("indicator").order_by("sort", "id"))
    if round_point.round.kind == RoundKind.RECHECK:
        linked = recheck_targets(round_point)
        items = [item for item in items if item.pk in linked]
    return items


def recheck_targets(round_point: RoundPoint) -> dict[int, Problem]:
    """item id → the latest problem raised for it at this point that awaits re-check."""
    rows = (ItemResult.objects.filter(inspection__round_point__point=round_point.point, problem__isnull=False,
                                      problem__state__in=[State.SUBMITTED, State.RECTIFYING, State.ASSIGNED,
                                                          State.CLOSED])
            .exclude(inspection__round_point__round=round_point.round)
            .select_related("problem").order_by("id"))
    targets = {}
    for row in rows:
        targets[row.item_id] = row.problem
    return targets


def _require_inspector(actor, round_point: RoundPoint) -> None:
    """The point's inspector, or a member of its 督查组 who may inspect: 403 to others who see the
    round, 404 to the rest."""
    if not selectors.inspects(actor, round_point):
        round_ = round_point.round
        if selectors.rounds(actor).filter(pk=round_.pk).exists():
            access.refuse_forbidden(actor, "inspections.inspect", f"RoundPoint#{round_point.pk}")
        access.refuse_not_found(actor, "inspections.round_point", f"RoundPoint#{round_point.pk}")


def _check_open(round_point: RoundPoint) -> None:
    if round_point.round.status != RoundStatus.OPEN:
        raise InspectionError("该轮次不在进行中，不能测评")


def inspection_save_draft(*, actor, round_point: RoundPoint, answers: dict[int, Answer], note: str = "",
                          latitude=None, longitude=None) -> Inspection:
    """Keep what was typed so far (nothing is scored): a dropped connection loses nothing."""
    _require_inspector(actor, round_point)
    _check_open(round_point)
    with transaction.atomic():
        locked = RoundPoint.objects.select_for_update().get(pk=round_point.pk)
        if locked.status == RoundPoint.Status.DONE:
            raise InspectionError("该点位已提交测评结果")
        inspection, _ = Inspection.objects.get_or_create(round_point=locked, defaults={"inspector": actor})
        inspection.inspector = actor
        inspection.draft = {str(item_id): answer.as_draft() for item_id, answer in answers.items()}
        inspection.note = note
        if latitude is not None and longitude is not None:
            inspection.latitude, inspection.longitude = latitude, longitude
        inspection.save()
        if locked.status == RoundPoint.Status.PENDING:
            locked.status = RoundPoint.Status.DRAFT
            locked.save(update_fields=["status"])
    return inspection


def _submit_key(actor, submit_key: str) -> str | None:
    return f"{actor.pk}:{submit_key}"[:80] if submit_key else None


def submitted_with(actor, submit_key: str) -> Inspection | None:
    """The inspection ``actor`` already submitted with ``submit_key`` (the form's key, sent again
    by a retried upload), or None — what :func:`inspection_submit` would return unchanged."""
    key = _submit_key(actor, submit_key)
    return Inspection.objects.filter(submit_key=key).select_related("round_point").first() if key else None


def inspection_submit(*, actor, round_point: RoundPoint, answers: dict[int, Answer], note: str = "",
                      latitude=None, longitude=None, submit_key: str,
                      items: list[CheckItem] | None = None) -> tuple[Inspection, bool]:
    """Score every applicable item and finish the point. The same ``submit_key`` again returns the
    first submission and changes nothing (a retried upload); returns (inspection, created).
    ``items`` are the point's items as :func:`items_for` gave them, when the caller has just read
    them (the form does, to read the answers): they are not read again."""
    _require_inspector(actor, round_point)
    key = _submit_key(actor, submit_key)
    if not key:
        raise InspectionError("缺少提交标识，请刷新页面后重试")
    existing = submitted_with(actor, submit_key)
    if existing is not None:
        return existing, False
    _check_open(round_point)
    items = items_for(round_point) if items is None else items
    if not items and round_point.round.kind == RoundKind.RECHECK:
        raise InspectionError("该点位的问题已不再等待复查，没有需要测评的检查项")
    if not items:
        raise InspectionError("该点位没有需要测评的检查项")
    errors, outcomes = {}, {}
    for item in items:
        answer = answers.get(item.pk)
        if answer is None or (not answer.verdict and answer.met is None and answer.rate in ("", None)
                              and answer.count in ("", None)):
            errors[item.pk] = "未填写"
            continue
        if answer.verdict == "na" and not answer.note.strip():
            errors[item.pk] = "选择“不适用”须填写说明"
            continue
        if len(answer.note) > 1000:
            errors[item.pk] = "说明最长1000字"
            continue
        if answer.conditions_error(item):
            errors[item.pk] = answer.conditions_error(item)
            continue
        try:
            outcomes[item.pk] = item.evaluate(answer.as_rule_answer())
        except rules.RuleError as error:
            errors[item.pk] = str(error)
    if errors:
        codes = {item.pk: item.code for item in items}
        raise InspectionError("以下检查项有误：" + "；".join(f"{codes[pk]} {text}" for pk, text in errors.items()),
                              field="items")
    try:
        with transaction.atomic():
            locked = RoundPoint.objects.select_for_update().select_related("round", "point").get(pk=round_point.pk)
            if locked.status == RoundPoint.Status.DONE:
                # a retried upload that waited for the lock while its first submission finished
                existing = Inspection.objects.filter(submit_key=key, round_point=locked).first()
                if existing is not None:
                    return existing, False
                raise InspectionError("该点位已提交测评结果")
            _check_open(locked)
            inspection, _ = Inspection.objects.get_or_create(round_point=locked, defaults={"inspector": actor})
            inspection.round_point = locked  # the point as scored below, for the caller
            inspection.inspector = actor
            inspection.status, inspection.submitted_at, inspection.submit_key = (
                Inspection.Status.SUBMITTED, timezone.now(), key)
            inspection.note, inspection.draft = note, {}
            if latitude is not None and longitude is not None:
                inspection.latitude, inspection.longitude = latitude, longitude
            inspection.save()
            results = ItemResult.objects.bulk_create([
                ItemResult(inspection=inspection, item=item, verdict=answers[item.pk].verdict,
                           answer=answers[item.pk].as_rule_answer(), label=outcomes[item.pk].label,
                           note=answers[item.pk].note.strip(), applicable=outcomes[item.pk].applicable,
                           earned=outcomes[item.pk].earned, possible=outcomes[item.pk].possible,
                           failed=outcomes[item.pk].failed)
                for item in items])
            results = {row.item_id: row for row in ItemResult.objects.filter(inspection=inspection)}
            through = ItemResult.photos.through
            through.objects.bulk_create([through(itemresult_id=results[item.pk].pk, photo_id=photo.pk)
                                         for item in items for photo in answers[item.pk].photos])
            earned = sum((outcomes[item.pk].earned for item in items), Decimal(0))
            possible = sum((outcomes[item.pk].possible for item in items), Decimal(0))
            locked.earned, locked.possible = earned, possible
            locked.score = (earned * 100 / possible).quantize(TWO) if possible else None
            locked.failed_items = sum(1 for item in items if outcomes[item.pk].failed)
            locked.status, locked.done_at = RoundPoint.Status.DONE, inspection.submitted_at
            locked.save(update_fields=["earned", "possible", "score", "failed_items", "status", "done_at"])
            InspectionRound.objects.filter(pk=locked.round_id).update(earned=F("earned") + earned,
                                                                      possible=F("possible") + possible)
            audit.record("inspections.submit", actor=actor, target=f"RoundPoint#{locked.pk}", unit=locked.unit,
                         detail={"round": locked.round_id, "point": locked.point.code, "score": str(locked.score),
                                 "failed": locked.failed_items})
            if locked.round.kind == RoundKind.RECHECK:
                _apply_recheck(actor, locked, inspection)
            elif locked.round.kind != RoundKind.UNANNOUNCED:
                raise_problems(inspection)
    except IntegrityError:
        existing = Inspection.objects.filter(submit_key=key).first()
        if existing is not None:
            return existing, False
        raise
    return inspection, True


# --- problems from failed items --------------------------------------------------------------------

def _category_for(item: CheckItem) -> Category:
    category = None
    if item.category_code:
        category = Category.objects.filter(code=item.category_code, is_active=True).first()
    return category or Category.objects.get(code="9901")


def raise_problems(inspection: Inspection) -> int:
    """One problem per failed item result that has none yet — pre-filled from the item, the point
    and the photos, reported by the inspector, and 交办 by the round's organiser to the unit the
    routing table gives. Idempotent: results that already raised one are skipped."""
    round_point = inspection.round_point
    round_ = round_point.round
    point = Point.objects.select_related("area", "unit", "point_type").get(pk=round_point.point_id)
    rows = list(ItemResult.objects.select_for_update().filter(inspection=inspection, failed=True, problem__isnull=True)
                .select_related("item").prefetch_related("photos").order_by("id"))
    source = Source.SELF_CHECK if round_.kind == RoundKind.SELF_CHECK else Source.INSPECTION
    routing_rules = None  # the routing table, read at the first failed item for all of them
    with sla.read_once():  # so are the working calendar and the SLA rules, for the deadlines
        for row in rows:
            item = row.item
            category = _category_for(item)
            unmet = "；".join(unmet_conditions(row))
            description = f"{round_.get_kind_display()}“{round_.title}”在{point.name}发现：{item.content}\n" \
                          f"测评结果：{row.label}" + (f"\n未满足的条件：{unmet}" if unmet else "") + \
                          (f"\n说明：{row.note}" if row.note else "") + \
                          (f"\n判定规则：{item.rule_text}" if item.rule_text else "")
            intake = intake_services.Intake(
                title=f"{point.name}：{item.content}"[:100], category=category, area=point.area,
                description=description[:4000], severity=Severity.NORMAL, source=source,
                address=point.address or point.name, latitude=point.latitude, longitude=point.longitude)
            problem, _ = intake_services.problem_report(actor=inspection.inspector, intake=intake,
                                                      photos=list(row.photos.all()),
                                                      idempotency_key=f"item-result-{row.pk}")
            row.problem = problem
            row.save(update_fields=["problem"])
            if routing_rules is None:
                routing_rules = active_rules()
            _route(problem, round_, point, routing_rules)
    return len(rows)


def condition_marks(result: ItemResult) -> list[tuple[str, bool]] | None:
    """(condition, met) for each condition of a grade-by-conditions result; None for other items,
    不适用 ones, and results recorded before the ticked conditions were kept (only their count is)."""
    params = result.item.params or {}
    if result.item.rule_kind != "grade" or params.get("by") != "conditions" or not result.applicable:
        return None
    ticked = (result.answer or {}).get("conditions")
    if ticked is None:
        return None
    return [(text, position in ticked) for position, text in enumerate(params.get("conditions") or [], start=1)]


def unmet_conditions(result: ItemResult) -> list[str]:
    return [text for text, met in condition_marks(result) or [] if not met]


def _route(problem: Problem, round_: InspectionRound, point: Point, routing_rules: list | None = None) -> None:
    """交办 by the organiser to the routing table's unit — the point's own unit when the table has
    no rule for it. Left 待受理 for the office when the organiser may not assign it there."""
    suggestion = suggest(problem.category, point.area, routing_rules)
    unit = point.unit if suggestion.reason.startswith("默认") else suggestion.unit
    organiser = round_.created_by
    if Role.OFFICE not in access.scope_for(organiser).roles or not access.scope_for(organiser).sees_unit(unit):
        return
    try:
        case_services.problem_assign(actor=organiser, problem=problem, unit=unit,
                                     note=f"测评发现，自动交办（{suggestion.reason}）")
    except case_services.ServiceError:
        return


def _apply_recheck(actor, round_point: RoundPoint, inspection: Inspection) -> None:
    """复查: a passed item closes (复核通过) the problem it re-checks; a failed one returns it
    (复核不通过) or, when it was already 销号, re-opens it as 反弹."""
    targets = recheck_targets(round_point)
    for row in ItemResult.objects.filter(inspection=inspection).select_related("item"):
        problem = targets.get(row.item_id)
        if problem is None:
            continue
        row.rechecked_problem = problem
        row.save(update_fields=["rechecked_problem"])
        organiser = round_point.round.created_by
        reach = cases_policy.problem_reach(actor, problem)
        who = actor if "verifier" in reach else organiser
        note = f"复查“{round_point.round.title}”：{row.label}" + (f"，{row.note}" if row.note else "")
        try:
            if not row.failed and row.applicable and problem.state == State.SUBMITTED:
                case_services.problem_verify_pass(actor=who, problem=problem, note=note)
            elif row.failed and problem.state == State.SUBMITTED:
                case_services.problem_verify_fail(actor=who, problem=problem, reason=note)
            elif row.failed and problem.state == State.CLOSED:
                case_services.problem_recur(actor=who, problem=problem, note=note, photos=list(row.photos.all()))
        except case_services.ServiceError:
            continue
