"""Demo inspection rounds, through the real services: last week's 周测评 (published), a 暗访
(finished, not yet published), this week's 周测评 (under way) and a street's 自查 (published).
Answers are drawn so that most items pass, some are 基本符合, a few fail and raise problems —
the mix cities report (得分率 around 85–90 %)."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from wenming.inspections import services
from wenming.inspections.models import (
    Inspection,
    InspectionRound,
    ItemResult,
    RoundKind,
    RoundPoint,
    RoundStatus,
    SampleMode,
)
from wenming.org.models import Membership, Role, Unit, UnitKind
from wenming.places.models import Point
from wenming.standards import rules
from wenming.standards.services import load_builtin

from .org import DemoOrg

FAIL_NOTES = {
    "0101": ["路边绿化带内有暴露垃圾", "垃圾桶满溢未及时清运", "背街处堆有生活垃圾"],
    "0102": ["楼道拐角卫生死角未清理", "公厕内地面污渍明显"],
    "0103": ["电线杆上有小广告", "宣传栏被乱贴"],
    "0201": ["门口有出店经营", "早市摊贩占道"],
    "0301": ["电动车乱停放堵塞通道", "机动车停在人行道上"],
    "0302": ["消防通道被杂物堵塞", "消防通道停有车辆"],
    "0601": ["公益广告褪色破损", "未见讲文明树新风公益广告"],
    "0701": ["室内发现烟头", "无烟区有人吸烟", "未张贴禁烟标识"],
    "0801": ["窗口人员未佩戴工作牌", "服务指南未公开"],
}
GENERIC_NOTES = ["现场检查不达标，需整改", "资料不全，未见相关记录", "设施损坏未修复"]
NA_NOTE = "该点位无此设施，不适用"


@dataclass
class InspectionsResult:
    rounds: int
    inspections: int
    problems: int
    results: int = 0

    def summary(self) -> str:
        if not self.problems and self.results:  # city scale
            return f"  督查测评：{self.rounds} 个轮次，{self.inspections:,} 次实地测评，{self.results:,} 条检查项结果"
        return f"  督查测评：{self.rounds} 个轮次，{self.inspections} 次实地测评，测评发现问题 {self.problems} 个"


def _answer(item, generator: random.Random, quality: float) -> services.Answer:
    """An answer to ``item`` from an inspector at a point of the given quality (0–1)."""
    roll = generator.random()
    if roll < 0.03:
        return services.Answer(verdict="na", note=NA_NOTE)
    notes = FAIL_NOTES.get(item.category_code, GENERIC_NOTES)
    bad = roll > quality
    if item.rule_kind == "verdict":
        shares = item.params["shares"]
        if not bad:
            return services.Answer(verdict="pass")
        if "partial" in shares and generator.random() < 0.6:
            return services.Answer(verdict="partial", note="部分达标")
        return services.Answer(verdict="fail", note=generator.choice(notes))
    if item.rule_kind == "grade":
        if item.params["by"] == "conditions":
            total = len(item.params["conditions"])
            met = total if not bad else generator.randint(max(0, total - 2), total - 1)
            return services.Answer(met=met, note="" if met == total else "部分条件未满足")
        top = item.params["grades"][0]["min"]
        rate = top + generator.uniform(0, 100 - top) if not bad else generator.uniform(top * 0.5, top)
        return services.Answer(rate=f"{min(rate, 100):.1f}", note="" if not bad else "比例未达标")
    if item.rule_kind == "threshold":
        least = item.params["min"]
        found = least + generator.randint(0, 2) if not bad else generator.randint(max(0, least - 2), least - 1)
        return services.Answer(count=str(found), note="" if found >= least else f"实有{found}{item.params['unit']}，数量不足")
    count = 0 if not bad else generator.randint(1, 3)
    return services.Answer(count=str(count), note="" if not count else generator.choice(notes))


def _crews(rows: list) -> dict[int, list]:
    """A 测评组's points are inspected by any of its members."""
    from wenming.org.models import TeamMember

    crews: dict[int, list] = {}
    for member in (TeamMember.objects.filter(team_id__in={row.team_id for row in rows if row.team_id},
                                             user__isnull=False).select_related("user").order_by("team_id", "sort")):
        crews.setdefault(member.team_id, []).append(member.user)
    return crews


def lagging_street_path() -> str:
    """The demo's 后进 street: the last street, in code order, of the first district. Its points are kept
    in a worse state than the others' (see :func:`_inspect_point`), so whenever the demo is built it is
    on the 黄牌榜 week after week and the 黄牌 ladder has a proposal to decide, as in the seeds' cities."""
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code").first()
    street = (Unit.objects.filter(kind=UnitKind.STREET, parent=district).order_by("-code").first()
              if district is not None else None)
    return street.path if street is not None else "\0"  # no street: a path no unit has


def _inspect_point(row, generator: random.Random, crews: dict[int, list], lagging: str = "\0") -> Inspection:
    quality = generator.uniform(0.86, 0.99)
    if row.point.unit_path.startswith(lagging):
        quality -= 0.15
    items = services.items_for(row)
    answers = {item.pk: _answer(item, generator, quality) for item in items}
    actor = generator.choice(crews[row.team_id]) if row.team_id in crews else row.inspector
    if generator.random() < 0.15:
        services.inspection_save_draft(actor=actor, round_point=row, answers=answers, note="")
    inspection, _ = services.inspection_submit(
        actor=actor, round_point=row, answers=answers, note=generator.choice(["", "", "天气晴", "雨天，部分室外项目复看"]),
        latitude=row.point.latitude, longitude=row.point.longitude, submit_key=f"demo-{row.pk}")
    return inspection


def _round_points(round_) -> list:
    return list(RoundPoint.objects.filter(round=round_).select_related("round", "point", "inspector").order_by("id"))


def _inspect(round_, generator: random.Random, share_done: float = 1.0) -> int:
    done = 0
    rows = _round_points(round_)
    crews = _crews(rows)
    lagging = lagging_street_path()
    for row in rows:
        if generator.random() > share_done:
            continue
        _inspect_point(row, generator, crews, lagging)
        done += 1
    return done


def _follow_up(round_, generator: random.Random) -> None:
    """Last week's problems a week on: most signed, many rectified, some verified and 销号."""
    from wenming.cases.models import Problem, State
    from wenming.cases.workflow import services as case_services
    from wenming.core.services_photos import photo_create

    from .catalog import demo_jpeg

    problems = list(Problem.objects.filter(item_results__inspection__round_point__round=round_, state=State.ASSIGNED)
                    .select_related("unit").distinct().order_by("id"))
    handlers = {}
    for membership in (Membership.objects.filter(unit_id__in={p.unit_id for p in problems}, role=Role.HANDLER,
                                                 is_active=True).select_related("user").order_by("id")):
        handlers.setdefault(membership.unit_id, membership.user)
    for problem in problems:
        handler = handlers.get(problem.unit_id)
        roll = generator.random()
        if handler is None or roll < 0.2:
            continue
        problem = case_services.problem_sign(actor=handler, problem=problem)
        if roll < 0.4:
            continue
        photo = photo_create(actor=handler, data=demo_jpeg(generator, before=False), filename="after.jpg",
                             unit=problem.unit)
        problem = case_services.problem_submit(actor=handler, problem=problem, photos=[photo],
                                               note=generator.choice(["已清理完毕", "已整改到位", "已督促商户整改，现场已恢复"]))
        if roll < 0.55:
            continue
        case_services.problem_verify_pass(actor=round_.created_by, problem=problem, note="照片复核通过")


GROUP_NAMES = ["第一测评组", "第二测评组", "第三测评组", "第四测评组", "第五测评组", "第六测评组", "第七测评组"]


def inspection_groups(org: DemoOrg) -> list:
    """The city's 测评组 under its 督查考核组 ("每周组织7个测评组"): the city's inspectors three to a
    group, the first of each its 组长 (at small scale, with two inspectors, two groups of an
    inspector and a city office member)."""
    from wenming.org.models import Team, TeamKind, TeamMember, TeamPost, User

    parent = Team.objects.filter(unit=org.city, kind=TeamKind.INSPECTION_GROUP, parent__isnull=True).first()
    made = list(Team.objects.filter(unit=org.city, kind=TeamKind.INSPECTION_GROUP, parent=parent,
                                    name__in=GROUP_NAMES).order_by("sort"))
    if made:  # made already, for the earlier rounds
        return made
    inspectors = list(User.objects.filter(memberships__unit=org.city, memberships__role=Role.INSPECTOR,
                                          memberships__is_active=True).order_by("username"))
    if not inspectors:
        return []
    office = list(User.objects.filter(memberships__unit=org.city, memberships__role=Role.OFFICE,
                                      memberships__is_active=True).exclude(username="office_city")
                  .order_by("username"))
    count = min(len(GROUP_NAMES), max(1, len(inspectors) // 3))
    crews: list[list] = [[] for _ in range(count)]
    for k, user in enumerate(inspectors[:count * 3] if len(inspectors) >= 3 else inspectors):
        crews[k % count].append(user)
    if len(inspectors) < 3:  # the small city: pad each group with an office member
        crews = [[user, *office[k:k + 1]] for k, user in enumerate(inspectors[:2])]
    groups = []
    for name, crew in zip(GROUP_NAMES, crews, strict=False):
        team = Team.objects.create(name=name, kind=TeamKind.INSPECTION_GROUP, unit=org.city, parent=parent,
                                   duties="按周测评计划到点位实地测评，同类同项按百分制打分，发现问题拍照留存",
                                   sort=len(groups) + 1)
        TeamMember.objects.bulk_create([
            TeamMember(team=team, team_post=TeamPost.LEADER if k == 0 else TeamPost.MEMBER,
                       person_name=user.full_name or user.username, post=user.post, user=user, sort=k)
            for k, user in enumerate(crew)])
        groups.append(team)
    return groups


def build_inspections(org: DemoOrg, *, seed: int, earlier: EarlierTally | None = None) -> InspectionsResult:
    """Needs the demo org and its points (``demo/places.py``). ``earlier``: what the earlier rounds
    (played in the problems' simulation, :func:`earlier_round_stories`) did, counted in the result."""
    from wenming.cases.models import Problem

    generator = random.Random(seed + 4)
    system = load_builtin()
    if not Point.objects.exists():
        return InspectionsResult(0, 0, 0)
    office = org.personas["office_city"].user
    inspectors = list(org.city.memberships.filter(role=Role.INSPECTOR, is_active=True, user__is_active=True)
                      .select_related("user").order_by("user__username").values_list("user", flat=True))
    from wenming.org.models import User

    inspectors = list(User.objects.filter(pk__in=inspectors).order_by("username")) or [org.personas["inspector"].user]
    groups = inspection_groups(org)
    problems_before = Problem.objects.count()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    week = int(today.strftime("%V"))
    rounds, inspections = 0, 0

    def plan(title, kind, start, *, owner=None, scope=None, actor=None, mode=SampleMode.STRATIFIED, sizes=None,
             who=None):
        nonlocal rounds
        round_ = services.round_create(
            actor=actor or office, title=title, kind=kind, system=system, owner=owner or org.city,
            scope_units=scope or [org.city], period_start=start, period_end=start + datetime.timedelta(days=6),
            sample_mode=mode, sample_sizes=sizes or {}, sample_seed=seed + rounds,
            weights={"SQ": 2, "NM": 2, "ZGD": 1.5})
        services.round_sample(actor=actor or office, round_=round_)
        if who is None and groups:  # the office's rounds go to the 测评组
            services.round_assign(actor=actor or office, round_=round_, teams=groups)
        else:
            services.round_assign(actor=actor or office, round_=round_, inspectors=who or inspectors)
        services.round_open(actor=actor or office, round_=round_)
        rounds += 1
        return round_

    sizes = {code: 1 for code in ("SQ", "XQ", "NM", "WHZ", "WHZX", "CS", "GY", "ZGD", "SYJ", "BJ", "YY", "ZW", "GD",
                                  "JD", "CK", "XX", "CZ", "GJ", "CZC")}
    with transaction.atomic():
        last = plan(f"第{week - 1}周测评", RoundKind.WEEKLY, monday - datetime.timedelta(days=7), sizes=sizes)
        inspections += _inspect(last, generator)
        services.round_close(actor=office, round_=last)
        services.round_publish(actor=office, round_=last)
        _follow_up(last, generator)
    with transaction.atomic():
        secret = plan(f"{today.month}月暗访", RoundKind.UNANNOUNCED, monday - datetime.timedelta(days=5),
                      scope=org.districts[:1], sizes={"NM": 2, "ZGD": 2, "SYJ": 2, "YY": 1, "CS": 2})
        inspections += _inspect(secret, generator)
        services.round_close(actor=office, round_=secret)
    with transaction.atomic():
        current = plan(f"第{week}周测评", RoundKind.WEEKLY, monday, sizes=sizes)
        inspections += _inspect(current, generator, share_done=0.5)
    street = org.streets[0]
    handler = (Membership.objects.filter(unit=street, role=Role.HANDLER, is_active=True).select_related("user")
               .order_by("id").first())
    if handler is not None:
        with transaction.atomic():
            own = plan(f"{street.name}第{week - 1}周自查", RoundKind.SELF_CHECK, monday - datetime.timedelta(days=7),
                       owner=street, scope=[street], actor=handler.user, mode=SampleMode.ALL, who=[handler.user])
            inspections += _inspect(own, generator)
            services.round_close(actor=handler.user, round_=own)
            services.round_publish(actor=handler.user, round_=own)
    earlier = earlier or EarlierTally()
    return InspectionsResult(rounds + earlier.rounds, inspections + earlier.inspections,
                             Problem.objects.count() - problems_before + earlier.problems)


# ===================================================================================================================
# small scale, earlier weeks: rounds played inside the problems' simulation (demo/small.py), on its clock
# ===================================================================================================================

WEEKLY_SIZES = {code: 1 for code in ("SQ", "XQ", "NM", "WHZ", "WHZX", "CS", "GY", "ZGD", "SYJ", "BJ", "YY", "ZW", "GD",
                                     "JD", "CK", "XX", "CZ", "GJ", "CZC")}
WEEKLY_WEIGHTS = {"SQ": 2, "NM": 2, "ZGD": 1.5}


@dataclass
class EarlierRound:
    title: str
    kind: str
    start: datetime.date


@dataclass
class EarlierTally:
    rounds: int = 0
    inspections: int = 0
    problems: int = 0


def earlier_rounds(end: datetime.datetime) -> list[EarlierRound]:
    """The rounds before last week's that the demo's assessment needs: the 周测评 of the three weeks
    before it (with last week's, the four weeks the demo closes), and a 月考核 in each of the last two
    complete months that no 周测评 of those four weeks ends in (the demo closes those months too)."""
    today = timezone.localtime(end).date()
    monday = today - datetime.timedelta(days=today.weekday())
    out = []
    for back in (4, 3, 2):
        start = monday - datetime.timedelta(weeks=back)
        out.append(EarlierRound(f"第{start.isocalendar().week}周测评", RoundKind.WEEKLY, start))
    week_ends = {(monday - datetime.timedelta(weeks=back) + datetime.timedelta(days=6)).strftime("%Y%m")
                 for back in (4, 3, 2, 1)}
    this_month = today.replace(day=1)
    last = (this_month - datetime.timedelta(days=1)).replace(day=1)
    before = (last - datetime.timedelta(days=1)).replace(day=1)
    for month in (before, last):
        if month.strftime("%Y%m") in week_ends:
            continue
        start = month.replace(day=8)
        start += datetime.timedelta(days=(7 - start.weekday()) % 7)  # its second full week
        out.append(EarlierRound(f"{month.month}月考核", RoundKind.MONTHLY, start))
    return sorted(out, key=lambda r: r.start)


def earlier_round_stories(seed: int, tally: EarlierTally):
    """``extra`` stories for :func:`wenming.demo.small.build_small_cases`: each earlier round is planned
    on its Monday, inspected point by point over the week, closed and published on Friday; the
    problems it raises are rectified (or not) as the units would, so the sweeper's warnings and
    督办 reach the late ones."""

    def stories(demo, spawn):
        return [(_moment(spec.start, 9, 0), _round_story(demo, spawn, spec, seed, n, tally))
                for n, spec in enumerate(earlier_rounds(demo.end))]

    return stories


def _moment(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _round_story(demo, spawn, spec: EarlierRound, seed: int, index: int, tally: EarlierTally):
    from wenming.cases.models import Problem

    generator = random.Random(f"{seed}:earlier-round:{index}")
    yield _moment(spec.start, 9, generator.randint(0, 40))
    office = demo.users["office_city"]
    groups = inspection_groups(demo.org)
    round_ = services.round_create(
        actor=office, title=spec.title, kind=spec.kind, system=load_builtin(), owner=demo.org.city,
        scope_units=[demo.org.city], period_start=spec.start, period_end=spec.start + datetime.timedelta(days=6),
        sample_mode=SampleMode.STRATIFIED, sample_sizes=WEEKLY_SIZES, sample_seed=seed + 100 + index,
        weights=WEEKLY_WEIGHTS)
    services.round_sample(actor=office, round_=round_)
    if groups:
        services.round_assign(actor=office, round_=round_, teams=groups)
    else:
        services.round_assign(actor=office, round_=round_, inspectors=demo.inspectors[:1])
    services.round_open(actor=office, round_=round_)
    rows = _round_points(round_)
    crews = _crews(rows)
    lagging = lagging_street_path()
    moments = sorted(_moment(spec.start + datetime.timedelta(days=generator.randint(0, 3)), 9, 0)
                     + datetime.timedelta(minutes=generator.randint(0, 480)) for _ in rows)
    for row, at in zip(rows, moments, strict=True):
        yield at
        inspection = _inspect_point(row, generator, crews, lagging)
        tally.inspections += 1
        for problem_id in (Problem.objects.filter(item_results__inspection=inspection).order_by("id")
                           .values_list("id", flat=True)):
            tally.problems += 1
            spawn(_rectify(demo, problem_id, office, random.Random(f"{seed}:rectify:{problem_id}")))
    yield _moment(spec.start + datetime.timedelta(days=4), 16, generator.randint(0, 50))
    services.round_close(actor=office, round_=round_)
    services.round_publish(actor=office, round_=round_)
    tally.rounds += 1


def _rectify(demo, problem_id: int, office, generator: random.Random):
    """A problem an earlier round raised: most signed, rectified in time and verified; some late
    (the sweeper warns, 督办), some sent back once (退回重改), a few never signed."""
    from wenming.cases.escalation import sla
    from wenming.cases.models import Problem, State
    from wenming.cases.workflow.services import perform
    from wenming.core import worktime

    roll = generator.random()
    yield demo._office(timezone.now(), generator, 0.3, 3)
    problem = Problem.objects.get(pk=problem_id)
    handlers = demo.staff.get(problem.unit_id)
    if not handlers or roll < 0.05 or problem.state != State.ASSIGNED:
        return
    handler = handlers[0]
    problem = perform(actor=handler, problem=problem, action="sign")
    if roll < 0.15:  # late
        yield demo._office(sla.stage_deadline(problem) or problem.deadline, generator, 3, 10)
    else:
        yield demo._within(timezone.now(), problem.deadline, generator, 0.3, 0.85, floor=0.2)
    rework = generator.random() < 0.1
    for attempt in range(2 if rework else 1):
        problem = Problem.objects.get(pk=problem_id)
        if problem.state != State.RECTIFYING:
            return
        photos = [demo.photo(generator, handler, problem.unit, before=False)]
        note = generator.choice(["已清理完毕", "已整改到位", "已督促商户整改，现场已恢复"])
        problem = perform(actor=handler, problem=problem, action="submit", photos=photos,
                          note=note if attempt == 0 else "已按复核意见重新整改，" + note)
        yield demo._office(timezone.now(), generator, 0.5, 6)
        problem = Problem.objects.get(pk=problem_id)
        verifier = next((u for u in demo.inspectors if u.pk == problem.verifier_id), office)
        if attempt == 0 and rework:
            perform(actor=verifier, problem=problem, action="verify_fail", reason="现场复核仍未整改到位，请重新整改。",
                    deadline=worktime.add_working_days(timezone.now(), 2, demo.schedule))
            yield demo._within(timezone.now(), Problem.objects.get(pk=problem_id).deadline, generator, 0.3, 0.8,
                               floor=0.2)
        else:
            perform(actor=verifier, problem=problem, action="verify_pass", note="照片复核通过")


# ===================================================================================================================
# city scale: a year of weekly rounds over the 20,000 points, written in bulk
# ===================================================================================================================

CITY_INSPECTIONS = 300_000
# points drawn per point type in each responsible unit (a stratum): every community, estate and lane
# stratum gives one a week, the city departments a share of their roads, toilets and stops
CITY_SAMPLE_SIZES = {"SQ": 1, "CZC": 1, "XQ": 1, "BJ": 1, "JD": 1, "WHZ": 1, "NM": 1, "SYJ": 1, "GY": 1, "XX": 1,
                     "ZGD": 100, "CS": 40, "GJ": 60, "GD": 30, "YY": 12, "ZW": 6, "CK": 6, "CZ": 2}
# estates (居民小区) are inspected every other week, in even ISO weeks
CITY_SAMPLE_SIZES_ODD_WEEKS = {**CITY_SAMPLE_SIZES, "XQ": 0}
CITY_WEIGHTS = {"SQ": 2, "NM": 2, "ZGD": 1.5}


def city_sample_sizes(start: datetime.date) -> dict:
    return CITY_SAMPLE_SIZES if start.isocalendar().week % 2 == 0 else CITY_SAMPLE_SIZES_ODD_WEEKS


@dataclass
class _Palette:
    """Precomputed results of one item: pass, partial (when the rule has one), fail and 不适用,
    each as the ItemResult columns (verdict, answer, label, applicable, earned, possible, failed)
    and the rule's outcome (for the point's total, rules.point_total)."""

    item_id: int
    notes: list[str]
    pass_: tuple
    partial: tuple | None
    fail: tuple
    na: tuple


def _palette(item) -> _Palette:
    def row(answer: services.Answer) -> tuple:
        outcome = item.evaluate(answer.as_rule_answer())
        return (answer.verdict, answer.as_rule_answer(), outcome.label, outcome.applicable, outcome.earned,
                outcome.possible, outcome.failed, outcome)

    if item.rule_kind == "verdict":
        shares = item.params["shares"]
        good, part, bad = (services.Answer(verdict="pass"), services.Answer(verdict="partial"),
                           services.Answer(verdict="fail"))
        part = part if "partial" in shares else None
    elif item.rule_kind == "grade" and item.params["by"] == "conditions":
        total = len(item.params["conditions"])
        good, part, bad = (services.Answer(met=total), services.Answer(met=max(0, total - 1)),
                           services.Answer(met=max(0, total - 2)))
    elif item.rule_kind == "grade":
        top = item.params["grades"][0]["min"]
        good, part, bad = (services.Answer(rate=f"{min(100, top + 5):.1f}"), None,
                           services.Answer(rate=f"{top * 0.6:.1f}"))
    elif item.rule_kind == "threshold":
        least = item.params["min"]
        good, part, bad = (services.Answer(count=str(least)), services.Answer(count=str(least - 1)),
                           services.Answer(count=str(max(0, least - 2))))
    else:
        good, part, bad = services.Answer(count="0"), services.Answer(count="1"), services.Answer(count="2")
    return _Palette(item.pk, FAIL_NOTES.get(item.category_code, GENERIC_NOTES), row(good), row(part) if part is not None else None, row(bad),
                    row(services.Answer(verdict="na")))


def build_city_inspections(org: DemoOrg, *, seed: int, count: int = CITY_INSPECTIONS, progress=None,
                           now: datetime.datetime | None = None) -> InspectionsResult:
    """Weekly rounds (every fourth a 月考核) back from this week over the city's points, stratified
    samples drawn as ``draw_sample`` draws them from each round's stored seed, until ``count``
    inspections are written: every round published but this week's, which is under way. Item
    results come from the items' own rules (about 20 per inspection: 6,000,000 at 300,000).
    Failed items of past rounds raised no problems here (the 1,000,000 problems are their own
    generator's); points carry their latest published score."""
    from wenming.standards.models import CheckItem

    from .bulk import FastInsert, reserve_ids
    from .org import Progress

    progress = progress or Progress()
    now = now or timezone.now()
    generator = random.Random(f"{seed}:city-inspections")
    system = load_builtin()
    office = org.personas["office_city"].user
    inspector_ids = list(org.city.memberships.filter(role=Role.INSPECTOR, is_active=True)
                         .values_list("user_id", flat=True).order_by("user_id")) or [org.personas["inspector"].user.pk]
    from wenming.org.models import TeamMember

    groups = inspection_groups(org)  # the rounds are shared among the 测评组, in blocks of units
    crews: dict[int, list[int]] = {}
    for team_id, user_id in (TeamMember.objects.filter(team__in=groups, user__isnull=False)
                             .order_by("team_id", "sort").values_list("team_id", "user_id")):
        crews.setdefault(team_id, []).append(user_id)
    crew_ids = sorted(crews)
    palettes: dict[int, list[_Palette]] = {}
    for item in CheckItem.objects.filter(system=system).prefetch_related("point_types").order_by("sort", "id"):
        palette = _palette(item)
        for point_type in item.point_types.all():
            palettes.setdefault(point_type.pk, []).append(palette)
    quality: dict[int, float] = {}  # a point's usual state, so its scores vary around a level
    latest: dict[int, tuple[Decimal, datetime.datetime]] = {}
    inserts = (FastInsert(RoundPoint), FastInsert(Inspection), FastInsert(ItemResult, with_pk=False))
    today = timezone.localtime(now).date()
    monday = today - datetime.timedelta(days=today.weekday())
    written = results = rounds = 0
    bar = progress.bar("督查测评（城市规模）", count)
    # the city's points in play (as ``candidate_points`` gives them for a round over the whole city);
    # a sample's size depends on its sizes only, not on the seed: so the weeks needed are known first
    candidates = list(Point.objects.filter(is_active=True, point_type__in=list(palettes))
                      .select_related("point_type", "unit").order_by("code"))
    per_round = {id(sizes): len(services.stratified_sample(candidates, sizes, 0))
                 for sizes in (CITY_SAMPLE_SIZES, CITY_SAMPLE_SIZES_ODD_WEEKS)}
    starts, planned = [], 0
    while planned < count and per_round[id(CITY_SAMPLE_SIZES)]:
        start = monday - datetime.timedelta(weeks=len(starts))
        starts.append(start)
        planned += per_round[id(city_sample_sizes(start))]
    starts.reverse()
    for index, start in enumerate(starts):
        current = index == len(starts) - 1
        sizes = city_sample_sizes(start)
        iso = start.isocalendar()
        kind = RoundKind.MONTHLY if iso.week % 4 == 0 else RoundKind.WEEKLY
        title = f"{iso.year}年{start.month}月考核" if kind == RoundKind.MONTHLY else f"{iso.year}年第{iso.week}周测评"
        with transaction.atomic():
            round_ = InspectionRound.objects.create(
                title=title, kind=kind, system=system, owner=org.city, owner_path=org.city.path,
                period_start=start, period_end=start + datetime.timedelta(days=6), sample_mode=SampleMode.STRATIFIED,
                sample_sizes=sizes, sample_seed=seed * 1000 + index, weights=CITY_WEIGHTS,
                status=RoundStatus.OPEN, created_by=office)
            round_.scope.set([org.city])
            sample = services.stratified_sample(candidates, sizes, round_.sample_seed)
            take = min(len(sample), count - written)
            done = sample if take == len(sample) else generator.sample(sample, take)
            done_ids = {p.pk for p in done}
            rp_ids = reserve_ids(RoundPoint, len(sample))
            insp_ids = reserve_ids(Inspection, take)
            rp_rows, insp_rows, result_rows = [], [], []
            earned_total = possible_total = Decimal(0)
            period_end = min(start + datetime.timedelta(days=4), today)
            span_days = max(0, (period_end - start).days)
            insp_iter = iter(insp_ids)
            for k, (point, rp_id) in enumerate(zip(sample, rp_ids, strict=True)):
                team = crew_ids[k * len(crew_ids) // len(sample)] if crew_ids else None
                inspector = crews[team][0] if team else inspector_ids[k % len(inspector_ids)]
                base = {"id": rp_id, "round_id": round_.pk, "point_id": point.pk, "unit_id": point.unit_id,
                        "unit_path": point.unit_path, "inspector_id": inspector, "team_id": team,
                        "status": RoundPoint.Status.PENDING, "earned": None, "possible": None, "score": None,
                        "failed_items": 0, "done_at": None}
                if point.pk not in done_ids:
                    rp_rows.append(inserts[0].params(base))
                    continue
                day = start + datetime.timedelta(days=generator.randint(0, span_days))
                at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8, 30))) + datetime.timedelta(
                    minutes=generator.randint(0, 540))
                at = min(at, now)
                level = quality.setdefault(point.pk, generator.uniform(0.8, 0.99))
                q = min(0.995, max(0.6, level + generator.uniform(-0.06, 0.06)))
                outcomes = []
                failed = 0
                insp_id = next(insp_iter)
                for palette in palettes.get(point.point_type_id, []):
                    roll = generator.random()
                    note = ""
                    if roll < 0.02:
                        row, note = palette.na, NA_NOTE
                    elif roll <= q:
                        row = palette.pass_
                    elif palette.partial is not None and generator.random() < 0.55:
                        row = palette.partial
                    else:
                        row = palette.fail
                    if row[6] and not note:
                        note = generator.choice(palette.notes)
                    verdict, answer, label, applicable, item_earned, item_possible, item_failed, outcome = row
                    outcomes.append(outcome)
                    failed += item_failed
                    result_rows.append(inserts[2].params({
                        "inspection_id": insp_id, "item_id": palette.item_id, "verdict": verdict, "answer": answer,
                        "label": label, "note": note, "applicable": applicable, "earned": item_earned,
                        "possible": item_possible, "failed": item_failed, "problem_id": None,
                        "rechecked_problem_id": None}))
                total = rules.point_total(outcomes)   # with the 一票否决, as inspection_submit scores
                earned, possible, score = total.earned, total.possible, total.score
                earned_total += earned
                possible_total += possible
                base.update(status=RoundPoint.Status.DONE, earned=earned, possible=possible, score=score,
                            failed_items=failed, done_at=at)
                rp_rows.append(inserts[0].params(base))
                insp_rows.append(inserts[1].params({
                    "id": insp_id, "created_at": at, "updated_at": at, "round_point_id": rp_id,
                    "inspector_id": generator.choice(crews[team]) if team else inspector,
                    "status": Inspection.Status.SUBMITTED, "draft": {}, "note": "",
                    "latitude": point.latitude, "longitude": point.longitude, "submitted_at": at,
                    "submit_key": f"demo-city-{rp_id}"}))
                if not current and score is not None:
                    latest[point.pk] = (score, at)
            for insert, rows in zip(inserts, (rp_rows, insp_rows, result_rows), strict=True):
                for chunk in range(0, len(rows), 20_000):
                    insert.run(rows[chunk:chunk + 20_000])
            closing = timezone.make_aware(datetime.datetime.combine(start + datetime.timedelta(days=6),
                                                                    datetime.time(18)))
            values = {"earned": earned_total, "possible": possible_total,
                      "opened_at": timezone.make_aware(datetime.datetime.combine(start, datetime.time(8)))}
            if not current:
                values.update(status=RoundStatus.PUBLISHED, closed_at=min(closing, now), published_at=min(closing, now))
            InspectionRound.objects.filter(pk=round_.pk).update(**values)
        written += take
        results += len(result_rows)
        rounds += 1
        bar.update(take)
    bar.close()
    by_point = sorted(latest.items())
    with transaction.atomic():
        points = {p.pk: p for p in Point.objects.filter(pk__in=[pk for pk, _ in by_point]).only("pk")}
        stamp = timezone.now()   # the points' figures' stamp (dashboard): bulk_update sets no auto_now
        for pk, (score, at) in by_point:
            points[pk].latest_score, points[pk].latest_scored_at, points[pk].updated_at = score, at, stamp
        Point.objects.bulk_update(list(points.values()), ["latest_score", "latest_scored_at", "updated_at"],
                                  batch_size=2000)
    return InspectionsResult(rounds=rounds, inspections=written, problems=0, results=results)
