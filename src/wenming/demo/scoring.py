"""Demo assessment (考核), through the real services (``scoring.services``): the city office's
schemes for the streets and, per district, for the communities; a few 加减分事项; the last
four complete weeks and the last two complete months closed in the order the office would close
them (so each has its 较上期 trend and the 黄牌 history builds up); one escalation proposal
decided and one 流动红旗 in the 奖惩台账. Every score comes from ``period_close``.

Each period is closed on a simulated clock (``demo/small.py``'s), the first office morning after
the period ended and its rounds were published — never later than the build's "now" — so its
``inputs_until`` is what the office would have had. At city scale ``build_demo`` closes a year of
weeks and months (``weeks``/``months``) of the streets' scheme only (``communities=False``): 64
closes over 120 streets took 184 s on a busy 2-core machine; the twelve districts' communities
would add about 30 s each.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from wenming.inspections.models import InspectionRound, RoundStatus
from wenming.org.models import Unit, UnitKind
from wenming.scoring import services
from wenming.scoring.models import (
    AdjustmentKind,
    LedgerKind,
    NegativeEffect,
    Period,
    PeriodKind,
    PeriodScore,
    Scheme,
    StepStatus,
    WarningStep,
)

from .org import DemoOrg, Progress
from .small import simulated_clock


@dataclass
class PeriodFigures:
    scheme: str
    kind: str
    label: str
    units: int
    ranked: int
    red: int
    yellow: int
    steps: int


@dataclass
class ScoringResult:
    schemes: list[str] = field(default_factory=list)
    periods: list[PeriodFigures] = field(default_factory=list)
    adjustments: int = 0
    steps: int = 0
    decided: int = 0
    ledger: int = 0
    bulletins: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        weeks = sum(1 for p in self.periods if p.kind == PeriodKind.WEEK)
        months = sum(1 for p in self.periods if p.kind == PeriodKind.MONTH)
        red = sum(p.red for p in self.periods)
        yellow = sum(p.yellow for p in self.periods)
        return (f"  考核：考核方案 {len(self.schemes)} 个（{'、'.join(self.schemes[:3])}"
                f"{'等' if len(self.schemes) > 3 else ''}）；已关闭考核期 {weeks + months} 个（周 {weeks} 个，"
                f"月 {months} 个），红旗榜 {red} 个次，黄牌榜 {yellow} 个次；黄牌问责建议 {self.steps} 条"
                f"（已决定 {self.decided} 条）；加减分事项 {self.adjustments} 条；奖惩台账 {self.ledger} 条"
                + (f"；已印发通报 {'、'.join(self.bulletins)}" if self.bulletins else ""))


def _list_size(count: int, least: int) -> Decimal:
    """红旗榜/黄牌榜 places: ``least`` in a small group, about a tenth of a large one."""
    return Decimal(max(least, round(count / 10)))


def _scheme(office, org: DemoOrg, root: Unit, unit_kind: str, name: str) -> Scheme:
    peers = services.assessed_units(Scheme(root=root, root_path=root.path, unit_kind=unit_kind)).count()
    rules = services.default_rules(name)
    rules.red_value, rules.yellow_value = _list_size(peers, 2), _list_size(peers, 1)
    return services.scheme_create(actor=office, owner=org.city, root=root, unit_kind=unit_kind, rules=rules,
                                  activate=True)


def complete_periods(now: datetime.datetime, weeks: int, months: int) -> list[tuple[str, datetime.date]]:
    """(kind, first day) of the last ``weeks`` complete weeks and ``months`` complete months before ``now``."""
    today = timezone.localtime(now).date()
    monday = today - datetime.timedelta(days=today.weekday())
    out = [(PeriodKind.WEEK, monday - datetime.timedelta(weeks=back)) for back in range(weeks, 0, -1)]
    first = today.replace(day=1)
    starts = []
    for _ in range(months):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
        starts.append(first)
    out += [(PeriodKind.MONTH, start) for start in reversed(starts)]
    return out


def _office_morning(day: datetime.date) -> datetime.datetime:
    """10:00 on ``day``, or on the Monday after when it falls on a weekend."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def closing_moment(kind: str, start: datetime.date, now: datetime.datetime, root_path: str = "") -> datetime.datetime:
    """When the office closes the period: the first office morning after it ended, and after the rounds
    ending in it were published (a round published late delays it); never after ``now``."""
    first, last, _ = services.period_dates(kind, start)
    moment = _office_morning(last + datetime.timedelta(days=1))
    published = (InspectionRound.objects.filter(status=RoundStatus.PUBLISHED, period_end__gte=first,
                                                period_end__lte=last).aggregate(at=Max("published_at"))["at"])
    if published is not None and published >= moment:
        moment = published + datetime.timedelta(minutes=30)
    return min(moment, now)


def _on(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=weekday)


def _adjustments(office, org: DemoOrg, weeks: list[datetime.date], now: datetime.datetime) -> int:
    """上级曝光 (with its source), a 负面清单 event that caps the total, and a 加分, each on a weekday of
    one of the closed weeks, entered by the office the day after."""
    if len(weeks) < 3:
        return 0
    district_a, district_b = org.districts[0], org.districts[-1]
    community_a = next(c for c in org.communities if c.path.startswith(district_a.path))
    community_b = next((c for c in reversed(org.communities) if c.path.startswith(district_b.path)),
                       org.communities[-1])
    street = org.streets[-1]
    entries = [
        dict(unit=community_a, kind=AdjustmentKind.EXPOSURE, occurred_on=_on(weeks[-3], 2),
             title="小区垃圾分类投放点满溢、周边卫生脏乱被省级暗访曝光", points=2,
             source=f"省文明办{weeks[-3].year}年第{weeks[-3].month}期创建工作暗访通报",
             description="省文明办暗访组在小区垃圾分类投放点拍到垃圾满溢、地面污水横流，列入暗访通报。"),
        dict(unit=street, kind=AdjustmentKind.NEGATIVE, occurred_on=_on(weeks[-2], 1),
             title="辖区农贸市场发生食品安全事件被中央媒体负面报道", points=0, effect=NegativeEffect.CAP, cap=80,
             source="市创建办负面清单认定",
             description="按负面清单规定，本期总分最高计80分。"),
        dict(unit=community_b, kind=AdjustmentKind.BONUS, occurred_on=_on(weeks[0], 3),
             title="社区“邻里守望”志愿服务项目获评省级优秀志愿服务项目", points=1, source="省文明办表彰通报",
             description="按加分规定，本期加1分。"),
    ]
    for entry in entries:
        entered = min(_office_morning(entry["occurred_on"] + datetime.timedelta(days=1)) + datetime.timedelta(hours=1),
                      now)
        with simulated_clock(lambda at=entered: at):
            services.adjustment_add(actor=office, **entry)
    return len(entries)


def build_scoring(org: DemoOrg, *, now: datetime.datetime | None = None, weeks: int = 4, months: int = 2,
                  communities: bool = True, bulletins: bool = True, progress: Progress | None = None) -> ScoringResult:
    """Schemes, 加减分事项, closed periods, one decided escalation and one 流动红旗 (see the module)."""
    started = time.perf_counter()
    now = now or timezone.now()
    progress = progress or Progress()
    office = org.personas["office_city"].user
    result = ScoringResult()
    with simulated_clock(lambda: now - datetime.timedelta(days=weeks * 7 + 45)):
        # the schemes were in force before the first period the demo closes
        schemes = [_scheme(office, org, org.city, UnitKind.STREET, f"{org.city.name}街道（镇）创建工作考核方案")]
        if communities:
            schemes += [_scheme(office, org, district, UnitKind.COMMUNITY, f"{district.name}社区创建工作考核方案")
                        for district in org.districts]
    result.schemes = [s.name for s in schemes]
    periods = complete_periods(now, weeks, months)
    week_starts = [start for kind, start in periods if kind == PeriodKind.WEEK]
    result.adjustments = _adjustments(office, org, week_starts[-4:], now)
    closes = sorted(((closing_moment(kind, start, now), start, kind == PeriodKind.MONTH, kind, scheme)
                     for kind, start in periods for scheme in schemes), key=lambda c: c[:3] + (c[4].pk,))
    bar = progress.bar("考核期", len(closes))
    for at, start, _, kind, scheme in closes:
        with simulated_clock(lambda at=at: at):
            period = services.period_close(actor=office, scheme=scheme, kind=kind, day=start, now=at)
        scores = PeriodScore.objects.filter(period=period, version=period.version)
        result.periods.append(PeriodFigures(
            scheme=scheme.name, kind=kind, label=period.label, units=scores.count(),
            ranked=scores.filter(rank__isnull=False).count(), red=scores.filter(honour="red").count(),
            yellow=scores.filter(honour="yellow").count(), steps=WarningStep.objects.filter(period=period).count()))
        bar.update(1)
    bar.close()
    # the office decides the first escalation proposal, and awards the last month's 流动红旗
    step = (WarningStep.objects.filter(period__scheme__in=schemes, status=StepStatus.PROPOSED)
            .select_related("period__scheme", "unit").order_by("proposed_at", "id").first())
    if step is not None:
        services.step_decide(actor=office, step=step, accept=True,
                             note=f"同意{step.step}：由市创建办{step.step}{step.unit.name}主要负责人，限期整改并报送整改报告。")
    month = (Period.objects.filter(scheme=schemes[0], kind=PeriodKind.MONTH, status="closed").order_by("-start")
             .first())
    if month is not None:
        first = (PeriodScore.objects.filter(period=month, version=month.version, rank=1).select_related("unit")
                 .order_by("unit_name").first())
        if first is not None:
            services.ledger_add(actor=office, unit=first.unit, period=month, kind=LedgerKind.RED_FLAG, amount=None,
                                note=f"{month.label}街道（镇）考核第一名，授予流动红旗。")
            result.ledger = 1
    if bulletins:
        result.bulletins = _bulletins(org, schemes[0])
    result.steps = WarningStep.objects.filter(period__scheme__in=schemes).count()
    result.decided = WarningStep.objects.filter(period__scheme__in=schemes, status=StepStatus.DECIDED).count()
    result.seconds = time.perf_counter() - started
    return result


REQUIREMENTS = ("各单位要对照考核结果，认真查摆问题，逐项落实整改，做到立行立改、举一反三。\n"
                "列入黄牌榜的单位要深刻剖析原因，主要负责同志要亲自研究部署，三日内向市创建办报送整改方案。\n"
                "各包保领导要加强督导，确保问题整改到位、不反弹。")


def _bulletins(org: DemoOrg, scheme: Scheme) -> list[str]:
    """The streets' last closed week and month published: a 周通报 and a 月通报 drafted by the city
    office, their files generated, approved by the city's leader and issued (bulletins.services)."""
    from wenming.bulletins import services as bulletin_services
    from wenming.bulletins.jobs import _generate
    from wenming.core import jobs

    office = org.personas["office_city"].user
    leader = org.personas["leader_city"].user
    numbers = []
    for kind, period_kind in (("weekly", PeriodKind.WEEK), ("monthly", PeriodKind.MONTH)):
        period = (Period.objects.filter(scheme=scheme, kind=period_kind, status="closed").order_by("-start").first())
        if period is None:
            continue
        bulletin = bulletin_services.bulletin_create(actor=office, kind=kind, issuer=scheme.root, period=period,
                                                     addressees="各区创建办，各街道（镇）", requirements=REQUIREMENTS,
                                                     cc="市创建全国文明城市工作领导小组成员单位")
        jobs.run(bulletin_services.bulletin_generate(actor=office, bulletin=bulletin).pk, _generate)
        bulletin_services.bulletin_submit(actor=office, bulletin=bulletin)
        bulletin_services.bulletin_review(actor=leader, bulletin=bulletin, approve=True, note="同意印发")
        issued = bulletin_services.bulletin_issue(actor=office, bulletin=bulletin)
        jobs.run(issued.job_id, _generate)
        numbers.append(issued.number)
    return numbers
