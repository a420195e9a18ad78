"""The city generator: DESIGN.md §10's 1,000,000 problems over three years with their timelines,
written in batches of 20,000 problems (each batch its own transaction: one multi-row insert per
table through ``executemany`` — see :class:`~wenming.demo.bulk.FastInsert` — codes from
``services.reserve_codes``) with a progress bar.

Each problem's steps are laid out on the office's working calendar (``core.worktime.WorkIndex``
over the years generated, the implementation the product's calendar answers through), its
deadline comes from the SLA table (``cases.escalation.sla``), and its 督办 ladder is played by the rule the
sweeper follows (``cases.escalation.ladder.play`` over the stretches its clock ran); the whole is cut
at "now": old problems are mostly 已销号, recent ones are still on their way. Reproducible from
the seed and ``now``. The rules are the product's; only the writes are batched.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from wenming.cases import timeline
from wenming.cases.escalation import ladder, sla
from wenming.cases.intake import services
from wenming.cases.models import (
    RUNNING_STATES,
    Category,
    Escalation,
    NoticeCounter,
    NoticeKind,
    Problem,
    ProblemEvent,
    ProblemVersion,
    Severity,
    Source,
    State,
    SupervisionNotice,
)
from wenming.cases.notices.services import notice_number
from wenming.core import worktime
from wenming.core.dates import chinese_datetime
from wenming.org.doccodes import claim_doc_code
from wenming.org.models import Membership, Role, Unit, User

from . import names
from .bulk import FastInsert, reserve_ids
from .catalog import (
    CATALOG,
    REJECTS,
    SEVERITY_OF,
    SOURCE_PREFIX,
    SOURCE_WEIGHTS,
    VERIFY_FAIL_NOTES,
    VERIFY_PASS_NOTES,
    Geography,
    Place,
    category_codes,
    coords,
    fill,
    place_values,
)
from .org import DemoOrg, Progress

CITY_PROBLEMS = 1_000_000
CITY_BATCH = 20_000
CITY_YEARS = 3


class _CityGenerator:
    """Lays out one problem's life on the working calendar and cuts it at ``now``."""

    def __init__(self, org: DemoOrg, *, seed: int, now: datetime, years: int):
        self.org, self.seed, self.now = org, seed, now
        self.schedule = sla.work_schedule()
        today = timezone.localtime(now).date()
        self.span_start = now - timedelta(days=365 * years)
        # the calendar over the years generated, for millions of lookups (the one worktime implementation)
        self.index = worktime.WorkIndex(self.schedule, timezone.localtime(self.span_start).date() - timedelta(days=10),
                                        today + timedelta(days=400))
        self.rules = sla.ladder_rules(add_working_days=self.index.add_working_days)
        self.geo = Geography(org, seed)
        self.categories = {c.code: c for c in Category.objects.filter(code__in=list(CATALOG))}
        self.category_by_id = {c.pk: c for c in self.categories.values()}
        self.units = self.geo.units
        codes, weights = category_codes()
        self.cat_codes, self.cat_cum = codes, _cumulative(weights)
        self.sources = list(SOURCE_WEIGHTS)
        self.source_cum = _cumulative([SOURCE_WEIGHTS[s] for s in self.sources])
        # who works where
        staff: dict[int, list[int]] = defaultdict(list)
        grid_workers: dict[int, int] = {}
        offices: dict[int, list[int]] = defaultdict(list)
        inspectors: list[int] = []
        for user_id, unit_id, role in Membership.objects.filter(is_active=True).values_list("user_id", "unit_id",
                                                                                             "role").order_by("id"):
            if role == Role.HANDLER:
                staff[unit_id].append(user_id)
            elif role == Role.GRID_WORKER:
                grid_workers[unit_id] = user_id
            elif role == Role.OFFICE:
                offices[unit_id].append(user_id)
            elif role == Role.INSPECTOR:
                inspectors.append(user_id)
        self.staff, self.grid_workers, self.offices, self.inspectors = staff, grid_workers, offices, inspectors
        self.names = {uid: name for uid, name in User.objects.values_list("id", "full_name")}
        self.citizen = org.personas["citizen"].user.pk
        self.city_office_unit = org.city
        self.grids_with_workers = sorted(grid_workers)
        self.areas = [g for g in org.grids]
        self.district_depts = defaultdict(dict)
        for dept in org.departments:
            if dept.parent_id != org.city.pk:
                self.district_depts[dept.parent_id][dept.name] = dept
        self._issuer_cache: dict[int, Unit] = {}
        self._doc_codes: dict[int, str] = {}
        self._office_cache: dict[int, tuple[Unit, list[int]]] = {}

    # -- helpers --
    def office_of(self, unit: Unit) -> tuple[Unit, list[int]]:
        """The nearest unit at or above ``unit`` with office accounts, and those accounts."""
        cached = self._office_cache.get(unit.pk)
        if cached is None:
            ids = list(reversed(unit.ancestor_ids() + [unit.pk]))
            found = next((i for i in ids if self.offices.get(i)), self.org.city.pk)
            cached = (self.units[found], self.offices.get(found, []))
            self._office_cache[unit.pk] = cached
        return cached

    def issuer_of(self, unit: Unit) -> Unit:
        """As ``cases.notices.services.issuing_office``: an office above the unit first, else its own."""
        cached = self._issuer_cache.get(unit.pk)
        if cached is None:
            ids = list(reversed(unit.ancestor_ids() + [unit.pk]))
            found = next((i for i in ids[1:] + ids[:1] if self.offices.get(i)), ids[-1])
            cached = self._issuer_cache[unit.pk] = self.units[found]
        return cached

    def doc_code_of(self, issuer: Unit) -> str:
        """The issuer's 机关代字, recorded as used, as ``notices.next_number`` does (org.doccodes)."""
        code = self._doc_codes.get(issuer.pk)
        if code is None:
            code = self._doc_codes[issuer.pk] = claim_doc_code(issuer)
        return code

    def target(self, rng: random.Random, code: str, place: Place) -> Unit:
        r = rng.random()
        depts = self.district_depts.get(place.district.pk, {})
        city = self.org.city_departments
        if code in {"0301", "0302", "0303", "0304"} and r < 0.3:
            return city["jjzd"]
        if code in {"0202", "0203"} and r < 0.6:
            return next((d for n, d in depts.items() if "市场监督" in n), city["scjgj"])
        if code in {"0108", "0401", "0104", "0501"} and r < 0.4:
            return next((d for n, d in depts.items() if "城市管理" in n), city["cgj"])
        if r < 0.2:
            return place.street
        return place.community

    def deadline(self, category_id: int, severity: str, start: datetime) -> tuple[datetime, int]:
        """The SLA table's deadline for a problem assigned at ``start``, and its warning lead (hours)."""
        category = self.category_by_id[category_id]
        return (sla.deadline_for(category, severity, start, self.schedule),
                sla.warn_hours_for(category, severity))

    def warn_at(self, assigned_at: datetime, deadline: datetime, warn_hours: int) -> datetime | None:
        return ladder.warn_time(assigned_at, deadline, warn_hours, hours_between=self.index.working_hours_between,
                                    add_hours=self.index.add_working_hours)

    def ladder(self, assigned_at: datetime, warn_hours: int, stretches: list[tuple[datetime, datetime, datetime]],
               rng: random.Random) -> list[tuple[datetime, ladder.Step]]:
        """The sweeper's steps while the clock ran — ``stretches`` of 交办/整改中 as (start, end,
        deadline in force) — each a few minutes after it fell due (the sweeper's interval)."""
        played = ladder.play(
            [ladder.Stretch(start, end, deadline, self.warn_at(assigned_at, deadline, warn_hours))
             for start, end, deadline in stretches],
            self.rules, lag=lambda: timedelta(seconds=rng.randint(5, 170)))
        return list(played)

    def next_look(self, p: Problem, warn_hours: int, notice_deadline: datetime | None) -> datetime | None:
        """``next_due_at`` as the sweeper leaves it at ``now`` (``sla.schedule``, then nothing to do: none)."""
        if p.state not in RUNNING_STATES:
            return None
        state = ladder.LadderState(
            running=True, deadline=p.deadline, escalation=p.escalation,
            warn_at=self.warn_at(p.assigned_at, p.deadline, warn_hours) if p.escalation == Escalation.NONE else None,
            notice_deadline=notice_deadline)
        due = ladder.next_due(state, self.now)
        if due is not None and due <= self.now and ladder.next_step(state, self.now, self.rules) is None:
            return None
        return due


def _cumulative(weights: list[int]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, items: list, cum: list[float]):
    return items[bisect_right(cum, rng.random() * cum[-1])]


@dataclass
class _Row:
    problem: Problem
    events: list[tuple]  # (action, at, actor_id, role, from, to, note, data)
    # (kind, issued_at, deadline, missed deadline, issuer, unit, [its number, given when written])
    notices: list[tuple] = field(default_factory=list)
    followers: list[int] = field(default_factory=list)
    keep: "_Row | None" = None
    previous: "_Row | None" = None


def build_city_cases(org: DemoOrg, *, count: int = CITY_PROBLEMS, seed: int, progress: Progress | None = None,
                     now: datetime | None = None, batch_size: int = CITY_BATCH, years: int = CITY_YEARS) -> int:
    """Write ``count`` problems spread over the last ``years`` years, with their timelines and
    督办 documents, in batches of ``batch_size`` (each its own transaction). May be called again
    to add more (the codes continue). Returns the number written."""
    with sla.read_once():  # the calendar and the SLA table, read once for the whole build
        return _build(org, count=count, seed=seed, progress=progress or Progress(), now=now or timezone.now(),
                      batch_size=batch_size, years=years)


def _build(org: DemoOrg, *, count: int, seed: int, progress: Progress, now: datetime, batch_size: int,
           years: int) -> int:
    gen = _CityGenerator(org, seed=seed, now=now, years=years)
    bar = progress.bar("问题（城市规模）", count)
    batches = max(1, math.ceil(count / batch_size))
    span = now - gen.span_start
    counters: dict[tuple[int, str, int], int] = {
        (issuer, kind, year): last for issuer, kind, year, last in
        NoticeCounter.objects.values_list("issuer_id", "kind", "year", "last")}
    part = Problem.objects.count()  # a second call draws fresh random streams
    written = 0
    inserts = (FastInsert(Problem), FastInsert(ProblemEvent, with_pk=False), FastInsert(ProblemVersion, with_pk=False))
    for b in range(batches):
        n = min(batch_size, count - written)
        if n <= 0:
            break
        rng = random.Random(f"{seed}:city:{part}:{b}")
        slice_start = gen.span_start + span * b / batches
        slice_end = gen.span_start + span * (b + 1) / batches
        with transaction.atomic():
            _city_batch(gen, rng, n, slice_start, slice_end, counters, inserts)
        written += n
        bar.update(n)
    bar.close()
    return written


def _city_batch(gen: _CityGenerator, rng: random.Random, n: int, slice_start: datetime, slice_end: datetime,
                counters: dict, inserts: tuple[FastInsert, ...]) -> None:
    width = (slice_end - slice_start).total_seconds()
    times = sorted(slice_start + timedelta(seconds=rng.random() * width) for _ in range(n))
    rows: list[_Row] = []
    for created in times:
        rows.append(_city_row(gen, rng, created, rows))
    # codes: a per-year sequence, in the order the problems came in
    by_year: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        by_year[timezone.localtime(row.problem.created_at).year].append(row)
    for year, year_rows in sorted(by_year.items()):
        for row, code in zip(year_rows, services.reserve_codes(year, len(year_rows)), strict=True):
            row.problem.code = code
    batch = None if connection.vendor == "sqlite" else 2000
    problem_insert, event_insert, version_insert = inserts
    for row, pk in zip(rows, reserve_ids(Problem, len(rows)), strict=True):
        row.problem.pk = pk
    for r in rows:
        if r.keep is not None:
            r.problem.merged_into_id = r.keep.problem.pk
        if r.previous is not None:
            r.problem.recurrence_of_id = r.previous.problem.pk
    problem_insert.run([problem_insert.params(r.problem.__dict__) for r in rows])

    # the 督办 documents, numbered per issuer, kind and year in the order they were issued (their
    # events cite the numbers, so before the events)
    notices = sorted(((notice, row.problem) for row in rows for notice in row.notices), key=lambda x: x[0][1])
    notice_rows = []
    for (kind, issued, deadline, missed, issuer, unit, number), p in notices:
        year = timezone.localtime(issued).year
        key = (issuer.pk, kind, year)
        counters[key] = counters.get(key, 0) + 1
        number.append(notice_number(gen.doc_code_of(issuer), kind, year, counters[key]))
        body = (f"{unit.name}：\n    经查，交由你单位整改的问题“{p.title}”（编号{p.code}，位于{p.address}）"
                f"已超过整改期限，至今未整改到位。请于{chinese_datetime(deadline)}前整改完毕，"
                f"并将整改情况通过平台报送{issuer.name}创建办复核。")
        notice_rows.append(SupervisionNotice(problem_id=p.pk, kind=kind, issuer=issuer, year=year,
                                             seq=counters[key], number=number[0], unit=unit,
                                             addressees=unit.name[:200], missed_deadline=missed, deadline=deadline,
                                             issued_at=issued, body=body))

    events, follows = [], []
    params = event_insert.params
    for row in rows:
        pid = row.problem.pk
        for action, at, actor, role, before, after, note, data in row.events:
            events.append({"problem_id": pid, "action": action, "actor_id": actor, "actor_role": role,
                           "at": at, "from_state": before, "to_state": after,
                           "note": note() if callable(note) else note,
                           "data": data() if callable(data) else data})
        follows.extend((pid, uid) for uid in row.followers)
    timeline.link_rows(events)  # the chain's numbers and hashes (cases.timeline)
    event_insert.run([params(values) for values in events])
    # the metrics' versions (cases.ProblemVersion): the generator writes each problem's final fields,
    # in force since it was assigned; a demo period's as-of figures therefore ignore the demo's reworks
    version_insert.run([version_insert.params(ProblemVersion.of(r.problem, r.problem.assigned_at).__dict__)
                        for r in rows if r.problem.assigned_at is not None])

    SupervisionNotice.objects.bulk_create(notice_rows, batch_size=batch)
    if follows:
        through = Problem.followers.through
        through.objects.bulk_create([through(problem_id=p, user_id=u) for p, u in follows], batch_size=batch,
                                    ignore_conflicts=True)
    for issuer, kind, year in {(n.issuer.pk, n.kind, n.year) for n in notice_rows}:
        NoticeCounter.objects.update_or_create(issuer_id=issuer, kind=kind, year=year,
                                               defaults={"last": counters[(issuer, kind, year)]})


def _city_row(gen: _CityGenerator, rng: random.Random, created: datetime, rows: list[_Row]) -> _Row:
    """One problem and its timeline, cut at ``gen.now``."""
    now, ix = gen.now, gen.index
    # what it becomes, if time allows: mostly 销号; a few stay open for long (挂账)
    r = rng.random()
    outcome = ("rejected" if r < 0.03 else "merged" if r < 0.05 else "stall_assigned" if r < 0.053
               else "stall_rectifying" if r < 0.065 else "stall_submitted" if r < 0.067 else "closed")
    keep = previous = None
    if outcome == "merged":
        candidates = [x for x in rows[-300:] if x.keep is None and x.previous is None
                      and x.problem.state not in (State.MERGED, State.REJECTED)]
        keep = rng.choice(candidates) if candidates else None
        if keep is None:
            outcome = "closed"
    elif rng.random() < 0.015:
        closed = [x for x in rows[-1500:] if x.problem.state == State.CLOSED]  # C-speed filter first
        candidates = [x for x in closed if x.keep is None and x.previous is None
                      and x.problem.closed_at < created and (created - x.problem.closed_at).days < 90]
        previous = rng.choice(candidates) if candidates else None

    # what and where
    source = _pick(rng, gen.sources, gen.source_cum)
    if previous is not None:
        base = previous.problem
        category_id, place_area = base.category_id, gen.units[base.area_id]
        place = gen.geo.place(place_area)
        title, description, address = base.title, "该处问题整改后再次出现。", base.address
        lat, lon, code = base.latitude, base.longitude, None
        source = Source.INSPECTION
    elif keep is not None:
        base = keep.problem
        category_id, place_area = base.category_id, gen.units[base.area_id]
        place = gen.geo.place(place_area)
        title, description, address = base.title, base.description, base.address
        lat, lon, code = base.latitude, base.longitude, None
        source = Source.CITIZEN if source in (Source.INSPECTION, Source.GRID) else source
    else:
        if source == Source.GRID and gen.grids_with_workers:
            area = gen.units[rng.choice(gen.grids_with_workers)]
        else:
            area = rng.choice(gen.areas)
            if rng.random() < 0.35:
                area = gen.units[area.parent_id]
        place = gen.geo.place(area)
        code = _pick(rng, gen.cat_codes, gen.cat_cum)
        category_id = gen.categories[code].pk
        values = place_values(rng, place)
        where, title_t, description, _ = rng.choice(CATALOG[code][1])
        title = fill(title_t, values)[:100]
        description = SOURCE_PREFIX.get(source, "") + description
        address = f"{place.district.name}{place.street.name}{fill(where, values)}"[:200]
        lat, lon = coords(rng, place)
    severity = SEVERITY_OF.get(code or "", Severity.NORMAL) if code else (keep or previous).problem.severity
    area = place.area

    # who reports
    reporter, role, reporter_name, reporter_phone = None, "", "", ""
    office_unit, office_users = gen.office_of(area)
    office = rng.choice(office_users) if office_users else None
    if source == Source.INSPECTION:
        reporter, role = rng.choice(gen.inspectors) if gen.inspectors else None, Role.INSPECTOR
    elif source == Source.GRID:
        reporter, role = gen.grid_workers.get(area.pk), Role.GRID_WORKER
    elif source == Source.CITIZEN:
        if rng.random() < 0.2:
            reporter, role = gen.citizen, Role.CITIZEN
        else:
            role = Role.CITIZEN
            reporter_name, reporter_phone = names.person_name(rng), names.mobile_phone(rng)
    elif source == Source.SELF_CHECK:
        people = gen.staff.get(place.community.pk) or gen.staff.get(place.street.pk) or []
        reporter, role = (rng.choice(people) if people else office), Role.HANDLER if people else Role.OFFICE
    else:  # hotline, superior, media, leader, census: the office records it
        reporter, role = office, Role.OFFICE
        if source == Source.HOTLINE:
            reporter_name, reporter_phone = names.person_name(rng), names.mobile_phone(rng)
    if source in (Source.INSPECTION, Source.GRID, Source.SELF_CHECK) and reporter is None:
        reporter, role = office, Role.OFFICE
    if not reporter_name and reporter:
        reporter_name = gen.names.get(reporter, "")
    if source != Source.CITIZEN:
        moved = ix.next_office_moment(created)  # staff report in office hours
        if moved <= now:
            created = moved

    p = Problem(title=title, description=description, category_id=category_id, severity=severity, source=source,
                state=State.REPORTED, area_id=area.pk, area_path=area.path, address=address, latitude=lat,
                longitude=lon, reporter_id=reporter, reporter_name=reporter_name, reporter_phone=reporter_phone,
                created_by_id=reporter, created_at=created, updated_at=created)
    events: list[tuple] = [("report", created, reporter, role, "", State.REPORTED, description, {"source": source})]
    row = _Row(problem=p, events=events, keep=keep, previous=previous)
    if previous is not None:
        previous.events.append(("recurred", created, reporter, role, State.CLOSED, State.CLOSED,
                                lambda: f"同一处同类问题再次出现：{p.code}", lambda: {"recurrence": p.code}))

    def office_step(after: datetime, low: float, high: float) -> datetime:
        return ix.add_working_hours(after, rng.uniform(low, high)) + timedelta(seconds=rng.randint(0, 59))

    # the office looks at it
    t = office_step(created, 0.2, 4)
    if t > now:
        return row
    if outcome == "rejected":
        reason = rng.choice(REJECTS)[3]
        events.append(("reject", t, office, Role.OFFICE, State.REPORTED, State.REJECTED, reason, {}))
        p.state, p.updated_at = State.REJECTED, t
        return row
    if outcome == "merged":
        events.append(("merge", t, office, Role.OFFICE, State.REPORTED, State.MERGED,
                       lambda: f"与{keep.problem.code}重复", lambda: {"keep": keep.problem.code}))
        kept_state = _state_at(keep.events, t)
        keep.events.append(("merged_in", t, office, Role.OFFICE, kept_state, kept_state,
                            lambda: f"合并了重复问题 {p.code}", lambda: {"merged": p.code}))
        if reporter:
            row.followers.append(reporter)
        p.state, p.updated_at = State.MERGED, t
        return row
    state = State.REPORTED
    if source in (Source.CITIZEN, Source.HOTLINE) or rng.random() < 0.2:
        events.append(("accept", t, office, Role.OFFICE, state, State.PENDING_ASSIGNMENT, "情况属实，予以受理。", {}))
        state = p.state = State.PENDING_ASSIGNMENT
        p.updated_at = t
        t = office_step(t, 0.2, 3)
        if t > now:
            return row

    # 交办
    if previous is not None and previous.problem.unit_id:
        unit = gen.units[previous.problem.unit_id]
    else:
        unit = gen.target(rng, code or "9901", place)
    if unit.parent_id == gen.org.city.pk:  # a city department: the city office assigns
        city_office = gen.offices.get(gen.org.city.pk) or [office]
        office = rng.choice(city_office)
    deadline, warn = gen.deadline(category_id, severity, t)
    assigned_at = t
    p.unit_id, p.unit_path, p.assigned_at, p.deadline = unit.pk, unit.path, assigned_at, deadline
    if source == Source.INSPECTION and reporter:
        p.verifier_id = reporter
    verifier, verifier_role = (p.verifier_id, Role.INSPECTOR) if p.verifier_id else (office, Role.OFFICE)
    events.append(("assign", t, office, Role.OFFICE, state, State.ASSIGNED, "请按期整改到位。",
                   {"unit": unit.name, "unit_code": unit.code, "deadline": deadline.isoformat()}))
    state = p.state = State.ASSIGNED
    p.updated_at = t
    handlers = gen.staff.get(unit.pk) or [None]
    handler = rng.choice(handlers)
    window = max(ix.working_hours_between(t, deadline), 0.5)

    # the unit: 签收, 整改, 提交; the verifier: 复核
    plan: list[tuple[str, datetime]] = []
    sign_at = ix.add_working_hours(t, min(rng.uniform(0.1, 2), window * 0.2)) + timedelta(seconds=rng.randint(0, 59))
    plan.append(("sign", sign_at))
    late = outcome == "closed" and rng.random() < 0.05
    if late:  # mostly soon after the 督办单, now and then after the 督办函
        submit_at = ix.add_working_hours(deadline, rng.uniform(1, 12) if rng.random() < 0.8 else rng.uniform(15, 30))
    else:
        window = ix.working_hours_between(sign_at, deadline)
        submit_at = ix.add_working_hours(sign_at, max(0.1, window * rng.uniform(0.3, 0.9)))
    submit_at += timedelta(seconds=rng.randint(0, 59))
    rework = outcome == "closed" and rng.random() < 0.06
    if outcome != "stall_assigned":
        if outcome != "stall_rectifying":
            plan.append(("submit", submit_at))
            if outcome == "closed":
                first_verify = office_step(submit_at, 0.5, 12)
                if rework:
                    plan.append(("verify_fail", first_verify))
                    resubmit = office_step(first_verify, 2, 16)
                    plan.append(("submit", resubmit))
                    plan.append(("verify_pass", office_step(resubmit, 0.5, 12)))
                else:
                    plan.append(("verify_pass", first_verify))
    else:
        plan = []

    # play the plan until now; note the stretches while the clock ran, with the deadline in force
    running_from, running_deadline = assigned_at, deadline
    stretches: list[tuple[datetime, datetime, datetime]] = []
    fix_note = "已按要求整改到位。"
    for action, at in plan:
        if at > now:
            break
        if action == "sign":
            events.append(("sign", at, handler, Role.HANDLER, state, State.RECTIFYING, "", {}))
            state = p.state = State.RECTIFYING
            p.signed_at = at
        elif action == "submit":
            events.append(("submit", at, handler, Role.HANDLER, state, State.SUBMITTED, fix_note, {}))
            state = p.state = State.SUBMITTED
            p.submitted_at = at
            stretches.append((running_from, at, running_deadline))
            running_from = None
        elif action == "verify_fail":
            p.deadline = ix.add_working_days(at, 2)  # the verifier gives two working days to redo it
            events.append(("verify_fail", at, verifier, verifier_role, state, State.RECTIFYING,
                           rng.choice(VERIFY_FAIL_NOTES), {"rework": 1, "deadline": p.deadline.isoformat()}))
            state = p.state = State.RECTIFYING
            p.rework_count, p.submitted_at = 1, None
            running_from, running_deadline = at, p.deadline
        elif action == "verify_pass":
            p.closed_at = at
            p.closed_on_time = bool(p.submitted_at <= p.deadline)
            p.handling_hours = ix.working_hours_between(assigned_at, p.submitted_at)
            events.append(("verify_pass", at, verifier, verifier_role, state, State.CLOSED,
                           rng.choice(VERIFY_PASS_NOTES),
                           {"on_time": p.closed_on_time, "handling_hours": round(p.handling_hours, 2)}))
            state = p.state = State.CLOSED
        p.updated_at = at
    if running_from is not None:
        stretches.append((running_from, now, running_deadline))

    # the sweeper's part: the ladder as cases.escalation.ladder plays it (the sweeper's own rule)
    for at, step in gen.ladder(assigned_at, warn, stretches, rng):
        s = _state_at(events, at)
        if step.overdue_at is not None:
            p.is_overdue, p.overdue_at = True, step.overdue_at
            events.append(("overdue", at, None, "system", s, s, "已超过整改期限，逾期", {}))
        if step.kind == ladder.WARN:
            events.append(("warn", at, None, "system", s, s, f"距整改期限不足{warn}个工作小时", {}))
        elif step.issues:
            p.supervision_count += 1
            number: list[str] = []  # the document's number, given when the batch is written
            note = f"下发{NoticeKind(step.kind).label} {{}}，限{chinese_datetime(step.deadline, year=False)}前整改"
            events.append((step.kind, at, None, "system", s, s, lambda note=note, number=number: note.format(number[0]),
                           lambda number=number, deadline=step.deadline.isoformat(): {"notice": number[0],
                                                                                    "deadline": deadline}))
            row.notices.append((step.kind, at, step.deadline, p.overdue_at, gen.issuer_of(unit), unit, number))
        elif step.kind == ladder.BULLETIN:
            p.in_bulletin = True
            events.append(("bulletin", at, None, "system", s, s, "督办函期限已过仍未整改，列入下期通报批评名单", {}))
        p.escalation = step.escalation
    events.sort(key=lambda e: e[1])
    p.next_due_at = gen.next_look(p, warn, row.notices[-1][2] if row.notices else None)
    return row


def _state_at(events: list[tuple], at: datetime) -> str:
    state = ""
    for e in events:
        if e[1] <= at:
            state = e[5]
    return state
