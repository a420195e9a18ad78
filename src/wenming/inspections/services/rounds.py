"""Planning and running a round: create it, draw its sample, assign inspectors or 督查组, open,
close and publish it.

Who may: a round is planned and run by an office at or above its owner unit; a 自查 round also by
the owning unit's handler, for the unit's own points (inspections.policy.may_plan / manages).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wenming.cases.models import (
    Notification,
    State,
)
from wenming.core import access, audit
from wenming.core.models import Photo
from wenming.org.models import (
    Membership,
    Team,
    TeamKind,
    TeamMember,
    TeamPost,
    Unit,
)
from wenming.places.models import Point
from wenming.standards.models import CheckItem, IndexSystem, SystemStatus

from .. import policy, selectors
from ..errors import InspectionError
from ..models import (
    MAX_MIN_SAMPLE,
    Inspection,
    InspectionRound,
    ItemResult,
    RoundKind,
    RoundPoint,
    RoundStatus,
    SampleMode,
)
from .findings import raise_problems

TWO = Decimal("0.01")
MAX_SAMPLE = 20000
INSPECTOR_ROLES = selectors.INSPECTOR_ROLES
SELF_CHECK_ROLES = selectors.SELF_CHECK_ROLES


# --- planning ------------------------------------------------------------------------------------

def _require_planner(actor, owner: Unit, kind: str, permission: str, target=None) -> None:
    if policy.may_plan(actor, owner, kind):
        return
    if not access.scope_for(actor).sees_unit(owner):
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
                 weights: dict | None = None, min_sample: int | None = None,
                 groups: list[Team] | None = None) -> InspectionRound:
    """Plan a round. ``min_sample``: the fewest points a unit needs inspected to be ranked (同类同项);
    when not given, the office's setting (测评设置). ``groups``: the 督查组 its sample is meant for
    (among :func:`eligible_groups`), offered first when its points are assigned."""
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
    if min_sample is None:
        min_sample = selectors.inspection_settings().min_sample
    _check_min_sample(min_sample)
    sizes = _clean_sizes(sample_sizes or {}, "抽样数量")
    if sample_mode == SampleMode.STRATIFIED and not any(sizes.values()):
        raise InspectionError("分层抽样须至少为一种点位类型填写抽样数量", "sample_sizes")
    with transaction.atomic():
        round_ = InspectionRound.objects.create(
            title=title, kind=kind, system=system, owner=owner, owner_path=owner.path, period_start=period_start,
            period_end=period_end, sample_mode=sample_mode, sample_sizes=sizes,
            sample_seed=sample_seed if sample_seed is not None else random.SystemRandom().randrange(1, 2**31),
            weights=_clean_sizes(weights or {}, "权重"), min_sample=min_sample, created_by=actor)
        round_.scope.set(scope_units)
        groups = list({team.pk: team for team in groups or []}.values())
        if groups:
            eligible = set(eligible_groups(round_).filter(pk__in=[team.pk for team in groups])
                           .values_list("pk", flat=True))
            for team in groups:
                if team.pk not in eligible:
                    raise InspectionError(f"“{team.name}”不是可参加本轮次的督查组", "groups")
            round_.groups.set(groups)
        detail = {"kind": kind, "scope": [unit.code for unit in scope_units], "mode": sample_mode,
                  "min_sample": round_.min_sample}
        if groups:
            detail["groups"] = [team.name for team in groups]
        audit.record("inspections.round_create", actor=actor, target=round_, unit=owner, detail=detail)
    return round_


def _check_min_sample(value, field: str = "min_sample") -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_MIN_SAMPLE:
        raise InspectionError(f"最少样本点位数应为1到{MAX_MIN_SAMPLE}之间的整数", field)


def round_set_min_sample(*, actor, round_: InspectionRound, min_sample: int | None) -> InspectionRound:
    """Change the round's minimum sample for ranking (同类同项) — until its results are published:
    a published ranking never moves."""
    _require_manager(actor, round_, "inspections.round_min_sample")
    _check_min_sample(min_sample)
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status == RoundStatus.PUBLISHED:
            raise InspectionError("结果已发布，排名规则不能再修改", "min_sample")
        previous = locked.min_sample
        if previous != min_sample:
            locked.min_sample = min_sample
            locked.save(update_fields=["min_sample", "updated_at"])
            audit.record("inspections.round_min_sample", actor=actor, target=locked, unit=locked.owner,
                         detail={"from": previous, "to": min_sample})
    round_.min_sample = locked.min_sample
    return locked


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
                Point.objects.filter(pk=point.pk).update(latest_score=row.score, latest_scored_at=row.done_at,
                                                         updated_at=timezone.now())
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
