"""The small demo: about 125 problems written THROUGH THE SERVICES by the persona accounts, so
every timeline, request, notification, 督办单 and 督办函 is real.

The story runs on a simulated clock over the past six weeks: ``django.utils.timezone.now`` is
replaced (only while the builder runs) by the simulation's clock, every story (``SMALL_PLAN`` in
``demo/catalog.py``) is a generator that says when its next step happens, and the real sweeper
runs every simulated hour — so warnings, 逾期, 督办单 → 督办函 → 通报批评 happen exactly as they
would in production, with working-day deadlines on the official calendar. The clock never runs
backwards and ends at the moment the build started, so nothing lies in the future. The seed
decides the stories (texts, places, people, branches); the dates follow the day the demo is built.
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from wenming.cases.escalation import sla, sweeper
from wenming.cases.intake import services as intake_services
from wenming.cases.models import Category, Problem, Severity, Source
from wenming.cases.workflow import services
from wenming.core import worktime
from wenming.org.models import Membership, Role, Unit, User

from . import names
from .catalog import (
    CATALOG,
    DAY_CATEGORIES,
    REJECTS,
    SEVERITY_OF,
    SMALL_PLAN,
    SOURCE_PREFIX,
    SOURCE_WEIGHTS,
    VERIFY_FAIL_NOTES,
    VERIFY_PASS_NOTES,
    Geography,
    Place,
    category_codes,
    coords,
    demo_jpeg,
    fill,
    place_values,
)
from .org import DemoOrg, Progress

SMALL_DAYS = 42  # the small demo's history: six weeks


# more stories for the simulation: called with the demo (its people, clock helpers) and ``spawn`` (to start
# a story from inside another, e.g. a problem an inspection raised); returns (first moment, story) pairs
ExtraStories = Callable[["_SmallDemo", Callable[[Iterator[datetime]], None]], list[tuple[datetime, Iterator[datetime]]]]


def build_small_cases(org: DemoOrg, *, seed: int, progress: Progress | None = None,
                      end: datetime | None = None, extra: ExtraStories | None = None) -> int:
    """Play ``SMALL_PLAN`` through the services up to ``end`` (default: now); the number of photos taken.
    ``extra`` adds stories to the same simulation (the earlier inspection rounds, ``demo/inspections.py``):
    the clock then starts at the earliest of them."""
    return _SmallDemo(org, seed=seed, progress=progress or Progress(), end=end).build(extra)


@contextmanager
def simulated_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Replace ``django.utils.timezone.now`` (which the services, the sweeper, auto_now fields and
    the notifications all call) by ``clock`` while the block runs."""
    original = timezone.now
    timezone.now = clock
    try:
        yield
    finally:
        timezone.now = original


class _Simulation:
    """Stories are generators that yield the moment of their next step; the simulation resumes
    them in time order and runs the sweeper every hour in between, like ``wenming sweep --loop``."""

    def __init__(self, start: datetime, end: datetime, on_done: Callable[[], None]):
        self.now = start
        self.end = end
        self.queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        self.counter = 0
        self.on_done = on_done
        self.sweeps = 0

    def spawn(self, story: Iterator[datetime]) -> None:
        try:
            first = next(story)
        except StopIteration:
            self.on_done()
            return
        self._push(first, story)

    def _push(self, at: datetime, story) -> None:
        self.counter += 1
        heapq.heappush(self.queue, (at, self.counter, story))

    def run(self) -> None:
        tick = self.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while self.queue:
            at, _, story = heapq.heappop(self.queue)
            at = min(max(at, self.now), self.end)
            while tick <= at:
                self._sweep(tick)
                tick += timedelta(hours=1)
            self.now = at
            try:
                wanted = next(story)
            except StopIteration:
                self.on_done()
                continue
            self._push(wanted, story)
        while tick <= self.end:
            self._sweep(tick)
            tick += timedelta(hours=1)
        self.now = self.end

    def _sweep(self, tick: datetime) -> None:
        self.now = tick
        sweeper.sweep(now=tick)
        self.sweeps += 1


@dataclass
class _Case:
    """Everything a story needs to know about its problem before it happens."""

    rng: random.Random
    kind: str
    category: Category
    severity: str
    source: str
    reporter: User
    place: Place
    title: str
    description: str
    fix: str
    address: str
    latitude: Decimal
    longitude: Decimal
    target: Unit
    office: User
    reporter_name: str = ""
    reporter_phone: str = ""
    wrong_unit: Unit | None = None
    coordination_unit: Unit | None = None
    reject_reason: str = ""
    photo_before: bool = False


class _SmallDemo:
    def __init__(self, org: DemoOrg, *, seed: int, progress: Progress, end: datetime | None = None):
        self.org, self.seed, self.progress = org, seed, progress
        self.end = end or timezone.now()
        self.geo = Geography(org, seed)
        self.categories = {c.code: c for c in Category.objects.filter(code__in=list(CATALOG))}
        self.users = {p.username: p.user for p in org.personas.values()}
        # staff of every unit: (role, user), personas first
        persona_ids = {p.user.pk for p in org.personas.values()}
        staff: dict[int, list[User]] = defaultdict(list)
        grid_workers: dict[int, User] = {}
        rows = (Membership.objects.filter(role__in=[Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR, Role.OFFICE])
                .select_related("user").order_by("id"))
        self.inspectors: list[User] = []
        for m in rows:
            user = self.users.get(m.user.username, m.user)  # one object per person: the scope is cached on it
            if m.role == Role.HANDLER:
                staff[m.unit_id].append(user)
            elif m.role == Role.GRID_WORKER:
                grid_workers[m.unit_id] = user
            elif m.role == Role.INSPECTOR:
                self.inspectors.append(user)
        for unit_id in staff:
            staff[unit_id].sort(key=lambda u: (u.pk not in persona_ids, u.pk))
        self.staff, self.grid_workers = staff, grid_workers
        self.inspectors.sort(key=lambda u: (u.username != "inspector", u.pk))
        self.district_office = {org.districts[0].pk: self.users["office_district_a"],
                                org.districts[1].pk: self.users["office_district_b"]}
        self.photos = 0
        self.schedule = sla.work_schedule()

    # -- who and where ---------------------------------------------------------------------------------------------

    def handler_for(self, unit: Unit) -> User:
        people = self.staff.get(unit.pk)
        if not people:
            raise RuntimeError(f"演示数据：{unit.name}没有经办人账号")
        return people[0]

    def _community(self, rng: random.Random, district_a: float = 0.7) -> Unit:
        org = self.org
        a = org.districts[0]
        street_a1 = org.personas["handler_street_a1"].unit
        if rng.random() < district_a:
            if rng.random() < 0.4:
                pool = [c for c in org.communities if c.parent_id == street_a1.pk]
            else:
                pool = [c for c in org.communities if self.geo.units[c.parent_id].parent_id == a.pk]
        else:
            pool = [c for c in org.communities if self.geo.units[c.parent_id].parent_id != a.pk]
        return rng.choice(pool)

    def _reporter(self, rng: random.Random, source: str) -> tuple[User, Unit, str, str]:
        """(reporter, area, reporter_name, reporter_phone) for a report from ``source``."""
        u = self.users
        if source == Source.GRID:
            grid_id = rng.choice(sorted(self.grid_workers))
            return self.grid_workers[grid_id], self.geo.units[grid_id], "", ""
        if source == Source.LEADER:
            return u["leader"], self._community(rng, district_a=1.0), "", ""
        community = self._community(rng)
        district = self.geo.place(community).district
        if source == Source.INSPECTION:
            reporter = self.inspectors[0] if rng.random() < 0.75 else rng.choice(self.inspectors)
            area = community
            grids = self.org.children.get(community.pk, [])
            if grids and rng.random() < 0.3:
                area = rng.choice(grids)
            return reporter, area, "", ""
        if source == Source.CITIZEN:
            citizen_a1 = self.org.personas["volunteer"].unit
            if community.pk == citizen_a1.pk and rng.random() < 0.5:
                return u["volunteer"], community, "", ""
            return u["citizen"], community, "", ""
        if source == Source.SELF_CHECK:
            return self.handler_for(community), community, "", ""
        if source in (Source.HOTLINE, Source.CENSUS):
            caller = names.person_name(rng) if source == Source.HOTLINE else ""
            phone = names.mobile_phone(rng) if source == Source.HOTLINE else ""
            return self.district_office[district.pk], community, caller, phone
        return u["office_city"], community, "", ""  # superior, media

    def _target(self, rng: random.Random, code: str, place: Place) -> Unit:
        org = self.org
        district_depts = {u.name: u for u in org.departments if u.parent_id == place.district.pk}
        r = rng.random()
        if code in {"0301", "0302", "0303", "0304"} and r < 0.35:
            return org.city_departments["jjzd"]
        if code in {"0202", "0203"}:
            if r < 0.5:
                return org.city_departments["scjgj"]
            return next((d for n, d in district_depts.items() if "市场监督" in n), place.community)
        if code in {"0108", "0401", "0104", "0501"} and r < 0.4:
            if r < 0.15:
                return org.city_departments["cgj"]
            return next((d for n, d in district_depts.items() if "城市管理" in n), place.street)
        if r < 0.22:
            return place.street
        return place.community

    def _office_for(self, target: Unit, place: Place) -> User:
        if target.parent_id == self.org.city.pk:
            return self.users["office_city"]  # a district office cannot assign to a city department
        return self.district_office[place.district.pk]

    def make_case(self, index: int, kind: str, *, category_pool: list[str] | None = None,
                  source: str | None = None, like: _Case | None = None) -> _Case:
        rng = random.Random(f"{self.seed}:case:{index}")
        if like is not None:  # a duplicate / repeat at the same place
            reporter, area, caller, phone = (self.users["citizen"], like.place.area, "", "")
            if source == Source.INSPECTION:
                reporter = self.inspectors[0]
            return _Case(rng=rng, kind=kind, category=like.category, severity=like.severity,
                         source=source or Source.CITIZEN, reporter=reporter, place=like.place,
                         title=like.title, description=like.description, fix=like.fix, address=like.address,
                         latitude=like.latitude, longitude=like.longitude, target=like.target, office=like.office,
                         reporter_name=caller, reporter_phone=phone, photo_before=True)
        if kind == "rejected":
            title_t, description, code, reason = rng.choice(REJECTS)
            source = Source.CITIZEN
        else:
            codes, weights = category_codes()
            if category_pool:
                pairs = [(c, w) for c, w in zip(codes, weights, strict=True) if c in category_pool]
                codes, weights = [c for c, _ in pairs], [w for _, w in pairs]
            code = rng.choices(codes, weights)[0]
            reason = ""
        if source is None:
            sources = list(SOURCE_WEIGHTS)
            source = rng.choices(sources, [SOURCE_WEIGHTS[s] for s in sources])[0]
        reporter, area, caller, phone = self._reporter(rng, source)
        place = self.geo.place(area)
        values = place_values(rng, place)
        if kind == "rejected":
            where = "{road}{no}号"
            title = fill(title_t, values)
            description = fill(description, values)
            fix = ""
        else:
            where, title_t, description, fix = rng.choice(CATALOG[code][1])
            title = fill(title_t, values)
            description = SOURCE_PREFIX.get(source, "") + description
        address = f"{place.district.name}{place.street.name}{fill(where, values)}"
        if place.community.name not in address and "{estate}" in where:
            address = f"{place.district.name}{place.street.name}{place.community.name}{fill(where, values)}"
        lat, lon = coords(rng, place)
        category = self.categories[code]
        severity = SEVERITY_OF.get(code, Severity.NORMAL)
        target = self._target(rng, code, place)
        case = _Case(rng=rng, kind=kind, category=category, severity=severity, source=source, reporter=reporter,
                     place=place, title=title[:100], description=description, fix=fix, address=address[:200],
                     latitude=lat, longitude=lon, target=target, office=self._office_for(target, place),
                     reporter_name=caller, reporter_phone=phone, reject_reason=reason,
                     photo_before=source in {Source.INSPECTION, Source.CITIZEN, Source.GRID} and rng.random() < 0.8)
        if kind.startswith("closed_return"):
            siblings = [c for c in self.org.communities if c.parent_id == place.street.pk
                        and c.pk != place.community.pk]
            case.target = place.community
            case.office = self._office_for(case.target, place)
            case.wrong_unit = rng.choice(siblings) if siblings else place.street
        if "reassigned" in kind or "escalated" in kind or "coordination" in kind:
            case.target = place.community
            case.office = self._office_for(case.target, place)
            district_depts = [u for u in self.org.departments if u.parent_id == place.district.pk]
            case.coordination_unit = next((d for d in district_depts if "城市管理" in d.name), place.street)
        return case

    # -- time ----------------------------------------------------------------------------------------------------

    def _office(self, start: datetime, rng: random.Random, low: float, high: float) -> datetime:
        return worktime.add_working_hours(start, round(rng.uniform(low, high), 2), self.schedule) + \
            timedelta(seconds=rng.randint(0, 59))

    def _within(self, now: datetime, deadline: datetime | None, rng: random.Random, low: float, high: float,
                floor: float = 0.1) -> datetime:
        """A moment ``low``–``high`` of the way through the office time left before the deadline."""
        left = worktime.working_hours_between(now, deadline, self.schedule) if deadline else 8.0
        hours = max(floor, left * rng.uniform(low, high))
        return worktime.add_working_hours(now, round(hours, 3), self.schedule) + timedelta(seconds=rng.randint(0, 59))

    def _start(self, rng: random.Random, lo: float, hi: float, working: bool, staff: bool) -> datetime:
        if working:
            day = timezone.localtime(self.end).date()
            back = rng.randint(int(lo), int(hi))
            while back > 0:
                day -= timedelta(days=1)
                if worktime.is_working_day(day, self.schedule):
                    back -= 1
            moment = datetime.combine(day, time(9, rng.randint(0, 59)), tzinfo=self.schedule.tz)
            return moment
        moment = self.end - timedelta(days=rng.uniform(lo, hi))
        local = timezone.localtime(moment)
        if staff:
            return worktime.next_office_moment(local, self.schedule) + timedelta(minutes=rng.randint(0, 50))
        if not 7 <= local.hour < 22:
            local = local.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59))
        return local

    # -- the story -----------------------------------------------------------------------------------------------

    def photo(self, rng: random.Random, actor: User, unit: Unit, *, before: bool):
        from wenming.core.services_photos import photo_create

        self.photos += 1
        return photo_create(actor=actor, data=demo_jpeg(rng, before=before), filename="demo.jpg", unit=unit)

    def report(self, case: _Case) -> Problem:
        intake = intake_services.Intake(
            title=case.title, category=case.category, area=case.place.area, description=case.description,
            severity=case.severity, source=case.source, address=case.address, latitude=case.latitude,
            longitude=case.longitude, reporter_name=case.reporter_name, reporter_phone=case.reporter_phone)
        photos = [self.photo(case.rng, case.reporter, case.place.area, before=True)] if case.photo_before else []
        problem, _ = intake_services.problem_report(actor=case.reporter, intake=intake, photos=photos)
        return problem

    def verifier_of(self, case: _Case, problem: Problem) -> User:
        if problem.verifier_id:
            for user in self.inspectors:
                if user.pk == problem.verifier_id:
                    return user
        return case.office

    def story(self, case: _Case, steps: list[str], start: datetime, holder: list | None = None):
        rng = case.rng
        yield start
        p = self.report(case)
        if holder is not None:
            holder.append(p)
        for step in steps:
            now = timezone.now()
            if step in {"sign"}:
                yield min(self._office(now, rng, 0.2, 1.5), self._within(now, p.deadline, rng, 0.05, 0.15))
            elif step.startswith("request_"):
                yield self._within(now, p.deadline, rng, 0.15, 0.35)
            elif step == "submit":
                yield self._within(now, p.deadline, rng, 0.4, 0.85, floor=0.2)
            elif step == "submit_late":
                stage = sla.stage_deadline(p) or p.deadline
                yield self._office(stage, rng, 3, 10)
            elif step in {"verify_pass", "verify_fail"}:
                yield self._office(now, rng, 0.5, 6)
            elif step in {"rereport", "recur"}:
                # the place fails again lately (so the new problem is fresh, not overdue for weeks)
                later = max(now + timedelta(days=2), self.end - timedelta(days=rng.uniform(1.5, 4)))
                yield worktime.next_office_moment(later, self.schedule) + timedelta(minutes=rng.randint(5, 200))
            else:  # the office's steps
                yield self._office(now, rng, 0.3, 3)
            p = self.step(case, p, step)

    def step(self, case: _Case, p: Problem, step: str) -> Problem:
        rng, office = case.rng, case.office
        perform = services.perform
        if step == "accept":
            return perform(actor=office, problem=p, action="accept", note="情况属实，予以受理。")
        if step == "assign":
            target = case.target
            actor = office if office.username == "office_city" or target.parent_id != self.org.city.pk \
                else self.users["office_city"]
            return perform(actor=actor, problem=p, action="assign", unit=target,
                           note=rng.choice(["请按期整改到位。", "请立即组织整改，按时限反馈。", "请落实责任人限期整改。"]))
        if step == "assign_wrong":
            return perform(actor=office, problem=p, action="assign", unit=case.wrong_unit, note="请按期整改到位。")
        if step == "reject":
            return perform(actor=office, problem=p, action="reject", reason=case.reject_reason)
        if step == "sign":
            return perform(actor=self.handler_for(p.unit), problem=p, action="sign")
        if step == "request_return":
            right = case.place.community.name
            reason = (f"经核实，该点位位于{right}辖区，不属于本单位职责范围，申请退回重新交办。"
                      if case.wrong_unit is not None else "该问题涉及供电线路改造，属供电部门职责，申请退回。")
            return perform(actor=self.handler_for(p.unit), problem=p, action="request_return", reason=reason)
        if step == "approve_return":
            return perform(actor=office, problem=p, action="approve_return", note="同意退回，重新交办。")
        if step == "refuse_return":
            return perform(actor=office, problem=p, action="refuse_return",
                           reason="经核实，该点位在你单位网格范围内，请按期整改。")
        if step == "request_coordination":
            return perform(actor=self.handler_for(p.unit), problem=p, action="request_coordination",
                           reason="涉及违法建设拆除和执法，超出社区职权范围，申请协调城管执法部门依法处置。")
        if step == "reassign":
            return perform(actor=office, problem=p, action="reassign", unit=case.coordination_unit,
                           note="同意协调，改派城管部门依法处置。")
        if step == "escalate":
            return perform(actor=office, problem=p, action="escalate", note="提级由街道统筹办理。")
        if step == "refuse_coordination":
            return perform(actor=office, problem=p, action="refuse_coordination",
                           reason="该问题社区可先行劝导整改，请社区牵头落实。")
        if step == "request_extension":
            deadline = worktime.add_working_days(p.deadline, rng.randint(3, 5), self.schedule)
            return perform(actor=self.handler_for(p.unit), problem=p, action="request_extension", deadline=deadline,
                           reason="需协调产权单位和施工队伍，申请延长整改期限。")
        if step == "approve_extension":
            return perform(actor=office, problem=p, action="approve_extension", note="同意延期，请按新期限整改到位。")
        if step == "refuse_extension":
            return perform(actor=office, problem=p, action="refuse_extension",
                           reason="该问题不属于难点问题，应在原期限内整改完毕。")
        if step in {"submit", "submit_late"}:
            handler = self.handler_for(p.unit)
            photos = [self.photo(rng, handler, p.unit, before=False)]
            note = case.fix if p.rework_count == 0 else "已按复核意见重新整改，" + case.fix
            return perform(actor=handler, problem=p, action="submit", note=note, photos=photos)
        if step == "verify_pass":
            return perform(actor=self.verifier_of(case, p), problem=p, action="verify_pass",
                           note=rng.choice(VERIFY_PASS_NOTES))
        if step == "verify_fail":
            deadline = worktime.add_working_days(timezone.now(), 2, self.schedule)
            return perform(actor=self.verifier_of(case, p), problem=p, action="verify_fail",
                           reason=rng.choice(VERIFY_FAIL_NOTES), deadline=deadline)
        if step == "rereport":
            again = self.make_case(10_000 + p.pk, "repeat", like=case)
            again.description = "该处问题整改后再次出现：" + case.description.split("：")[-1]
            again.office = case.office
            return self.report(again)
        if step == "recur":
            photos = [self.photo(rng, self.verifier_of(case, p), p.area, before=True)]
            return perform(actor=self.verifier_of(case, p), problem=p, action="recur",
                           note="复查发现该处问题反弹，重新立案交办。", photos=photos)
        raise ValueError(step)

    def duplicate(self, case: _Case, start: datetime, holder: list):
        """A second report of the same problem; the office merges it into the first."""
        yield start
        keep = holder[0]
        p = self.report(case)
        yield self._office(timezone.now(), case.rng, 0.3, 3)
        keep.refresh_from_db()
        services.perform(actor=case.office, problem=p, action="merge", keep=keep, note=f"与{keep.code}反映的是同一问题")

    # -- run ------------------------------------------------------------------------------------------------------

    def build(self, extra: ExtraStories | None = None) -> int:
        from django.test.utils import override_settings

        total = sum(n * (2 if kind == "merged" else 1) for kind, n, *_ in SMALL_PLAN)
        bar = self.progress.bar("问题", total)
        start = self.end - timedelta(days=SMALL_DAYS + 1)
        sim = _Simulation(start, self.end, on_done=lambda: bar.update(1))
        index = 0
        stories = []
        for kind, n, steps, (lo, hi), working in SMALL_PLAN:
            for _ in range(n):
                index += 1
                # requests and 督办 stories need days to play out (立行立改 and 4-hour rules would
                # go overdue while a request waits)
                timed = kind.startswith("overdue") or any(step.startswith("request_") for step in steps)
                pool = DAY_CATEGORIES if timed else None
                if kind == "merged":
                    primary = self.make_case(index, "merge_primary", category_pool=DAY_CATEGORIES,
                                             source=Source.INSPECTION)
                    rng = primary.rng
                    at = self._start(rng, lo, hi, working, staff=True)
                    holder: list = []
                    if self.end - at > timedelta(days=6):
                        primary_steps = rng.choice([["assign", "sign", "submit", "verify_pass"],
                                                    ["accept", "assign", "sign", "submit", "verify_pass"]])
                    else:
                        primary_steps = rng.choice([["assign", "sign"], ["accept", "assign"]])
                    stories.append((at, self.story(primary, primary_steps, at, holder)))
                    index += 1
                    dup = self.make_case(index, "merged", like=primary)
                    dup_at = at + timedelta(hours=rng.uniform(1, 6))
                    dup_at = max(dup_at, at + timedelta(minutes=30))
                    stories.append((dup_at, self.duplicate(dup, dup_at, holder)))
                    continue
                case = self.make_case(index, kind, category_pool=pool)
                staff = case.source not in {Source.CITIZEN}
                at = self._start(case.rng, lo, hi, working, staff=staff)
                stories.append((at, self.story(case, steps, at)))
        if extra is not None:
            stories += extra(self, lambda story: sim.spawn(story))
        stories.sort(key=lambda pair: pair[0])
        if stories and stories[0][0] < sim.now:
            sim.now = stories[0][0] - timedelta(hours=1)
        with override_settings(OUTBOUND_BACKEND="record"), simulated_clock(lambda: sim.now):
            for _, story in stories:
                sim.spawn(story)
            sim.run()
        bar.close()
        return self.photos
