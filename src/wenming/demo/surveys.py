"""Demo 问卷调查, small scale, through the real services. The city office publishes the built-in 市民问卷 and runs:

* last month's 入户调查 over every community (20 households each), collected by the communities' own staff and
  grid workers on their phones; a few answered too fast — some counted after review, some left out with a
  reason, some still waiting — and the 后进 street's residents less aware and less satisfied; closed, so its
  rates count in the assessment of that month;
* this month's 扫码自填 survey, open, with the first answers from residents' phones;
* a 模拟调查 for training the surveyors, marked as such and never counted.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.utils import timezone

from wenming.org.models import Membership, Role, Unit, UnitKind
from wenming.surveys import services
from wenming.surveys.models import Campaign, CampaignUnit, Response, ResponseStatus

from .org import DemoOrg
from .small import simulated_clock


@dataclass
class SurveysResult:
    campaigns: int = 0
    responses: int = 0
    counted: int = 0
    flagged: int = 0
    excluded: int = 0

    def summary(self) -> str:
        return (f"  问卷调查：调查 {self.campaigns} 次（入户、扫码自填、模拟各1次）；答卷 {self.responses} 份"
                f"（有效 {self.counted}、待复核 {self.flagged}、剔除 {self.excluded}）")


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def answers(rng: random.Random, level: float) -> dict:
    """A resident's answers to the built-in questionnaire; ``level`` (0…1) is how well the community does."""
    know = rng.random() < 0.80 + 0.17 * level
    out = {"1": "A" if know else rng.choice(["B", "C"])}
    if out["1"] in ("A", "B"):
        out["2"] = sorted(rng.sample(["A", "B", "C", "D", "E"], rng.randint(1, 3)))
    out["3"] = "A" if rng.random() < 0.86 + 0.12 * level else rng.choice(["B", "C"])
    out["4"] = rng.random() < 0.55 + 0.35 * level
    out["5"] = min(5, max(1, round(rng.gauss(3.4 + 1.4 * level, 0.8))))
    if rng.random() < 0.5:
        out["6"] = sorted(rng.sample(["A", "B", "C", "D", "E"], rng.randint(1, 2)))
    if rng.random() < 0.1:
        out["7"] = rng.choice(["希望多设停车位", "背街小巷的路灯要修", "垃圾分类要多宣传", "小区里的飞线充电要管一管"])
    return out


def _collectors(communities: list[Unit]) -> dict[int, list]:
    """Each community's surveyors: its handlers and office staff, and the grid workers of its grids."""
    by_path = {c.path: c.pk for c in communities}
    found: dict[int, list] = {c.pk: [] for c in communities}
    for membership in (Membership.objects.filter(role__in=[Role.HANDLER, Role.OFFICE, Role.GRID_WORKER], is_active=True,
                                                 unit__kind__in=[UnitKind.COMMUNITY, UnitKind.GRID])
                       .select_related("unit", "user").order_by("id")):
        for path, unit_id in by_path.items():
            if membership.unit.path.startswith(path):
                found[unit_id].append(membership.user)
    return found


def build_surveys(org: DemoOrg, *, seed: int = 2026, now: datetime.datetime | None = None,
                  lagging_path: str = "\0") -> SurveysResult:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    rng = random.Random(seed + 41)
    office = org.personas["office_city"].user
    result = SurveysResult()
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    last_month_start = last_month_end.replace(day=1)
    with simulated_clock(lambda: _at(last_month_start - datetime.timedelta(days=3), 9)):
        questionnaire = services.questionnaire_publish(
            actor=office, questionnaire=services.builtin_install(actor=office, owner=org.city))
        interview = services.campaign_open(actor=office, campaign=services.campaign_create(
            actor=office, owner=org.city, item=services.CampaignInput(
                title=f"{last_month_start.year}年{last_month_start.month}月群众知晓率满意度入户调查", scope=org.city,
                questionnaire=questionnaire, mode="interview", starts_on=last_month_start, ends_on=last_month_end,
                quota_rule="fixed", quota_value=20, min_seconds=90)))
        mock = services.campaign_open(actor=office, campaign=services.campaign_create(
            actor=office, owner=org.city, item=services.CampaignInput(
                title="调查员培训（模拟问卷）", scope=org.city, questionnaire=questionnaire, mode="mock",
                starts_on=last_month_start - datetime.timedelta(days=3), ends_on=last_month_start,
                quota_rule="fixed", quota_value=2, min_seconds=90)))
    communities = list(Unit.objects.filter(kind=UnitKind.COMMUNITY, path__startswith=org.city.path).order_by("path"))
    collectors = _collectors(communities)
    level = {c.pk: (0.25 if c.path.startswith(lagging_path) else rng.uniform(0.55, 1.0)) for c in communities}

    def interview_at(cu: CampaignUnit, campaign: Campaign, day: datetime.date, n: int, *, fast: bool = False):
        people = collectors.get(cu.unit_id) or [office]
        start = _at(day, 9 + n % 9, rng.randint(0, 50))
        seconds = rng.randint(25, 70) if fast else rng.randint(150, 420)
        with simulated_clock(lambda: start + datetime.timedelta(seconds=seconds + 5)):
            return services.response_submit(
                campaign_unit=cu, client_key=f"demo-{campaign.pk}-{cu.unit_id}-{n}",
                answers=answers(rng, level[cu.unit_id]), started_at=start,
                submitted_at=start + datetime.timedelta(seconds=seconds), surveyor=people[n % len(people)]).response

    # the training round first: two questionnaires per community, never counted
    for cu in CampaignUnit.objects.filter(campaign=mock).select_related("campaign", "unit"):
        for n in range(2):
            interview_at(cu, mock, mock.starts_on, n)
    flagged: list[Response] = []
    days = (last_month_end - last_month_start).days
    for cu in CampaignUnit.objects.filter(campaign=interview).select_related("campaign", "unit"):
        count = cu.quota - (rng.randint(1, 6) if rng.random() < 0.2 else 0)   # a few communities short of quota
        for n in range(count):
            day = last_month_start + datetime.timedelta(days=rng.randint(0, days))
            response = interview_at(cu, interview, day, n, fast=rng.random() < 0.04)
            if response.status == ResponseStatus.FLAGGED:
                flagged.append(response)
    # the office reviews the too-fast ones after the month: most counted, some left out, a few still waiting
    with simulated_clock(lambda: _at(last_month_end + datetime.timedelta(days=1), 9)):
        for index, response in enumerate(flagged):
            if index % 4 == 3:
                continue
            services.response_review(actor=office, response=response, count=index % 4 != 2,
                                     note="" if index % 4 != 2 else "用时过短，回访核实未入户")
        services.campaign_close(actor=office, campaign=interview)
        services.campaign_close(actor=office, campaign=mock)
    # this month: residents answer by their community's QR code
    if today.day > 1:
        with simulated_clock(lambda: _at(today.replace(day=1), 8)):
            current = services.campaign_open(actor=office, campaign=services.campaign_create(
                actor=office, owner=org.city, item=services.CampaignInput(
                    title=f"{today.year}年{today.month}月群众满意度扫码调查", scope=org.city, questionnaire=questionnaire,
                    mode="self", starts_on=today.replace(day=1), ends_on=today + datetime.timedelta(days=20),
                    quota_rule="population", quota_value=30 * len(communities), min_seconds=60)))
        units = list(CampaignUnit.objects.filter(campaign=current).select_related("campaign", "unit"))
        for n in range(min(60, 3 * len(units))):
            cu = units[n % len(units)]
            day = today.replace(day=1) + datetime.timedelta(days=rng.randint(0, today.day - 2))
            start = _at(day, 19, rng.randint(0, 59))
            seconds = rng.randint(80, 300)
            with simulated_clock(lambda start=start, seconds=seconds: start + datetime.timedelta(seconds=seconds + 2)):
                services.response_submit(
                    campaign_unit=cu, client_key=f"demo-self-{n}", answers=answers(rng, level[cu.unit_id]),
                    started_at=start, submitted_at=start + datetime.timedelta(seconds=seconds),
                    device=f"{rng.getrandbits(64):016x}")
    result.campaigns = Campaign.objects.count()
    result.responses = Response.objects.count()
    result.counted = Response.objects.filter(status=ResponseStatus.COUNTED).count()
    result.flagged = Response.objects.filter(status=ResponseStatus.FLAGGED).count()
    result.excluded = Response.objects.filter(status=ResponseStatus.EXCLUDED).count()
    return result


# --- city scale -------------------------------------------------------------------------------------------

CITY_RESPONSES = 500_000


def build_city_surveys(org: DemoOrg, *, seed: int = 2026, count: int = CITY_RESPONSES, campaign=None,
                       batch: int = 5000) -> tuple[object, int]:
    """``count`` responses to a closed official 入户调查 over the whole city, in bulk: each answered as a
    resident of its community would (:func:`answers`), its rate outcomes and the community's tallies worked
    out by the questionnaire's own rules (surveys.definition), the rows written in batches. With ``campaign``
    (from an earlier call) the responses are added to it. Returns (campaign, responses written)."""
    from django.db import transaction

    from wenming.surveys import definition
    from wenming.surveys.models import OptionTally, Rate, Tally

    office = org.personas["office_city"].user
    rng = random.Random(seed + 43)
    today = timezone.localdate()
    if campaign is None:
        with transaction.atomic():
            questionnaire = services.questionnaire_publish(
                actor=office, questionnaire=services.builtin_install(actor=office, owner=org.city))
            last_end = today.replace(day=1) - datetime.timedelta(days=1)
            campaign = services.campaign_open(actor=office, campaign=services.campaign_create(
                actor=office, owner=org.city, item=services.CampaignInput(
                    title=f"{last_end.year}年{last_end.month}月全市群众知晓率满意度入户调查", scope=org.city,
                    questionnaire=questionnaire, mode="interview", starts_on=last_end.replace(day=1), ends_on=last_end,
                    quota_rule="population", quota_value=max(count, 1), min_seconds=90)))
    questions = list(campaign.questionnaire.questions.all())
    units = list(CampaignUnit.objects.filter(campaign=campaign).order_by("unit_path"))
    level = {cu.unit_id: random.Random(seed + cu.unit_id).uniform(0.45, 1.0) for cu in units}
    start_day = campaign.starts_on
    days = max(1, (campaign.ends_on - campaign.starts_on).days)
    first = Response.objects.filter(campaign=campaign).count()
    tallies: dict[int, dict] = {}
    options: dict[tuple[int, int, str], int] = {}
    rows: list[Response] = []
    written = 0

    def flush() -> None:
        Response.objects.bulk_create(rows, batch_size=batch)
        rows.clear()

    for n in range(count):
        cu = units[n % len(units)]
        given = answers(rng, level[cu.unit_id])
        outcome = definition.outcomes(questions, given)
        started = _at(start_day + datetime.timedelta(days=rng.randrange(days)), 9 + rng.randrange(9), rng.randrange(60))
        seconds = rng.randint(150, 420)
        rows.append(Response(
            campaign=campaign, unit_id=cu.unit_id, unit_path=cu.unit_path, client_key=f"city-{first + n}",
            surveyor=office, started_at=started, submitted_at=started + datetime.timedelta(seconds=seconds),
            seconds=seconds, answers=given, status=ResponseStatus.COUNTED, **outcome))
        entry = tallies.setdefault(cu.unit_id, {"responses": 0, **{f: 0 for r in Rate.values
                                                                    for f in (r, f"answered_{r}")}})
        entry["responses"] += 1
        for rate, value in outcome.items():
            if value is not None:
                entry[f"answered_{rate}"] += 1
                entry[rate] += int(value)
        for q in questions:
            for option in definition.options_chosen(q, given.get(str(q.seq))):
                options[(cu.unit_id, q.seq, option)] = options.get((cu.unit_id, q.seq, option), 0) + 1
        if len(rows) >= batch:
            with transaction.atomic():
                flush()
        written += 1
    with transaction.atomic():
        flush()
        paths = {cu.unit_id: cu.unit_path for cu in units}
        existing = {t.unit_id: t for t in Tally.objects.filter(campaign=campaign)}
        new, changed = [], []
        for unit_id, entry in tallies.items():
            tally = existing.get(unit_id)
            if tally is None:
                new.append(Tally(campaign=campaign, unit_id=unit_id, unit_path=paths[unit_id], **entry))
            else:
                for name, value in entry.items():
                    setattr(tally, name, getattr(tally, name) + value)
                changed.append(tally)
        Tally.objects.bulk_create(new, batch_size=2000)
        Tally.objects.bulk_update(changed, list(next(iter(tallies.values())).keys()) if tallies else [], batch_size=2000)
        have = {(o.unit_id, o.seq, o.option): o for o in OptionTally.objects.filter(campaign=campaign)}
        add, update = [], []
        for (unit_id, seq, option), value in options.items():
            row = have.get((unit_id, seq, option))
            if row is None:
                add.append(OptionTally(campaign=campaign, unit_id=unit_id, unit_path=paths[unit_id], seq=seq,
                                       option=option, count=value))
            else:
                row.count += value
                update.append(row)
        OptionTally.objects.bulk_create(add, batch_size=5000)
        OptionTally.objects.bulk_update(update, ["count"], batch_size=5000)
    if campaign.status != "closed":
        campaign = services.campaign_close(actor=office, campaign=campaign)
    return campaign, written
