"""Reads of 问卷调查, each scoped by surveys.policy: questionnaires, campaigns, the communities a collector
works in, and a campaign's results — the four rates per community, street or district with sample sizes,
Wilson intervals and warnings, and the cross-tab of a question — read from the tallies (a fixed number of
queries whatever the number of responses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from wenming.core.errors import NotFound
from wenming.org.models import Unit, UnitKind

from . import policy, stats
from .models import (
    Campaign,
    CampaignStatus,
    CampaignUnit,
    OptionTally,
    QuestionKind,
    Questionnaire,
    Rate,
    Response,
    ResponseStatus,
    Tally,
)

LEVELS = {"community": UnitKind.COMMUNITY, "street": UnitKind.STREET, "district": UnitKind.DISTRICT}
LEVEL_LABELS = {"community": "社区", "street": "街道", "district": "区县"}


def questionnaires(user):
    return (Questionnaire.objects.filter(policy.questionnaire_filter(user)).select_related("owner")
            .order_by("code", "-version"))


def questionnaire_for(user, pk) -> Questionnaire:
    found = questionnaires(user).filter(pk=pk).first()
    if found is None:
        raise NotFound("问卷不存在或无权查看")
    return found


def campaigns(user):
    return (Campaign.objects.filter(policy.campaign_filter(user)).select_related("scope", "questionnaire", "owner")
            .order_by("-starts_on", "-id"))


def campaign_for(user, pk) -> Campaign:
    found = campaigns(user).filter(pk=pk).first()
    if found is None:
        raise NotFound("调查不存在或无权查看")
    return found


def collect_units(user):
    """The communities of open campaigns the user may interview in (not self-fill campaigns)."""
    return (CampaignUnit.objects.filter(policy.collect_filter(user), campaign__status=CampaignStatus.OPEN)
            .exclude(campaign__mode="self").select_related("campaign", "unit").order_by("campaign_id", "unit_path"))


def collect_unit_for(user, pk) -> CampaignUnit:
    found = (CampaignUnit.objects.filter(policy.collect_filter(user), pk=pk)
             .select_related("campaign", "campaign__questionnaire", "unit").first())
    if found is None:
        raise NotFound("该社区不在您可以调查的范围内")
    return found


def campaign_units(user, campaign: Campaign):
    """The campaign's communities the user sees (all of them for the organising office)."""
    rows = CampaignUnit.objects.filter(campaign=campaign).select_related("unit").order_by("unit_path")
    if policy.may_manage_campaign(user, campaign):
        return rows
    return rows.filter(policy.unit_filter(user))


def flagged(user, campaign: Campaign):
    return (Response.objects.filter(policy.unit_filter(user), campaign=campaign, status=ResponseStatus.FLAGGED)
            .select_related("unit", "surveyor").order_by("unit_path", "submitted_at", "id"))


# --- results --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitRef:
    """What a results row shows of its unit (read as plain values: no model row per community)."""

    pk: int
    name: str
    path: str


@dataclass
class ResultRow:
    unit: UnitRef
    quota: int = 0
    responses: int = 0
    flagged: int = 0
    counts: dict[str, list[int]] = field(default_factory=lambda: {r: [0, 0] for r in Rate.values})  # positive, n
    options: dict[str, int] = field(default_factory=dict)
    measured: list[tuple[str, str]] = field(default_factory=list)

    @cached_property
    def figures(self) -> dict[str, stats.RateFigure]:
        return {rate: stats.figure(positive, n, self.quota) for rate, (positive, n) in self.counts.items()}

    @cached_property
    def notes(self) -> list[str]:
        """What a reader must know before trusting the row: too few responses, an interval across 90 %."""
        notes = []
        if not self.responses:
            notes.append("暂无有效样本")
        elif self.responses < self.quota:
            notes.append(f"样本不足：{self.responses}/{self.quota}份")
        for rate, label in self.measured:
            if self.figures[rate].straddles:
                notes.append(f"{label}置信区间跨越{stats.RATE_TARGET}%，尚不能判断是否达标")
        return notes

    @property
    def short(self) -> bool:
        return self.responses < self.quota


@dataclass
class Results:
    campaign: Campaign
    level: str
    rows: list[ResultRow]
    total: ResultRow
    rates: list[tuple[str, str]]          # (rate, label) of the rates the questionnaire measures


def _measured(campaign: Campaign) -> list[tuple[str, str]]:
    found = {q.rate for q in campaign.questionnaire.questions.all() if q.rate}
    return [(value, label) for value, label in Rate.choices if value in found]


def _units(user, campaign: Campaign) -> list[tuple[int, str, int, str]]:
    """(community id, path, quota, name) of the campaign's communities the user sees, in path order."""
    return list(campaign_units(user, campaign).values_list("unit_id", "unit_path", "quota", "unit__name"))


TALLY_COLUMNS = ["unit_id", "responses", "flagged", *[name for rate in Rate.values
                                                     for name in (rate, f"answered_{rate}")]]


def results(user, campaign: Campaign, level: str = "community") -> Results:
    """The rates of the communities the user sees, rolled up to ``level`` (community, street, district): four
    queries whatever the number of communities and responses (the communities, their tallies, the units
    rows name, the questionnaire's rates)."""
    kind = LEVELS.get(level, UnitKind.COMMUNITY)
    level = level if level in LEVELS else "community"
    units = _units(user, campaign)
    wanted = {unit[0] for unit in units}
    tallies = {row[0]: row for row in Tally.objects.filter(campaign=campaign).values_list(*TALLY_COLUMNS)
               if row[0] in wanted}
    holders = _holders(units, kind)
    measured = _measured(campaign)
    rows: dict[int, ResultRow] = {}
    scope = campaign.scope
    total = ResultRow(unit=UnitRef(scope.pk, scope.name, scope.path), measured=measured)
    rates = list(enumerate(Rate.values))
    for unit_id, _, quota, _ in units:
        holder = holders[unit_id]
        row = rows.get(holder.pk)
        if row is None:
            row = rows[holder.pk] = ResultRow(unit=holder, measured=measured)
        tally = tallies.get(unit_id)
        for target in (row, total):
            target.quota += quota
            if tally is None:
                continue
            target.responses += tally[1]
            target.flagged += tally[2]
            for index, rate in rates:
                counts = target.counts[rate]
                counts[0] += tally[3 + 2 * index]
                counts[1] += tally[4 + 2 * index]
    ordered = sorted(rows.values(), key=lambda r: r.unit.path)
    return Results(campaign, level, ordered, total, measured)


def _holders(units: list[tuple[int, str, int, str]], kind: str) -> dict[int, UnitRef]:
    """{community id: the unit of ``kind`` it lies under (itself for communities)}."""
    if kind == UnitKind.COMMUNITY:
        return {unit_id: UnitRef(unit_id, name, path) for unit_id, path, _, name in units}
    ids = {int(p) for _, path, _, _ in units for p in path.strip("/").split("/") if p}
    above = {pk: UnitRef(pk, name, path) for pk, name, path in
             Unit.objects.filter(pk__in=ids, kind=kind).values_list("pk", "name", "path")}
    out = {}
    for unit_id, path, _, name in units:
        for part in path.strip("/").split("/"):
            if part and int(part) in above:
                out[unit_id] = above[int(part)]
                break
        else:
            out[unit_id] = UnitRef(unit_id, name, path)
    return out


@dataclass
class Crosstab:
    question: object
    columns: list[tuple[str, str]]        # (option code, label)
    rows: list[ResultRow]
    total: ResultRow


def crosstab(user, campaign: Campaign, seq: int, level: str = "community") -> Crosstab | None:
    """How the counted responses of each unit answered question ``seq`` (counts per option)."""
    question = next((q for q in campaign.questionnaire.questions.all() if q.seq == seq), None)
    if question is None or question.kind == QuestionKind.TEXT:
        return None
    if question.kind == QuestionKind.RATING:
        columns = [(str(n), f"{n}分") for n in range(1, question.scale + 1)]
    elif question.kind == QuestionKind.YES_NO:
        columns = [("是", "是"), ("否", "否")]
    else:
        columns = [(o["code"], f"{o['code']}. {o['label']}") for o in question.options]
    base = results(user, campaign, level)
    holders = _holders(_units(user, campaign), LEVELS.get(level, UnitKind.COMMUNITY))
    by_holder = {row.unit.pk: row for row in base.rows}
    for row in [*base.rows, base.total]:
        row.options = {code: 0 for code, _ in columns}
    for unit_id, option, count in OptionTally.objects.filter(campaign=campaign, seq=seq) \
            .values_list("unit_id", "option", "count"):
        holder = holders.get(unit_id)
        row = by_holder.get(holder.pk) if holder is not None else None
        if row is None or option not in row.options:
            continue
        row.options[option] += count
        base.total.options[option] += count
    return Crosstab(question, columns, base.rows, base.total)


# --- official figures (the assessment, the check items) -------------------------------------------------

TALLY_FIELDS = [name for rate in Rate.values for name in (rate, f"answered_{rate}")]


def official_counts(root_path: str, first, last) -> list[tuple[str, int, dict[str, list[int]]]]:
    """(community path, counted responses, {rate: [positive, answered]}) of the official campaigns — not
    模拟, closed (their figures final: a closed campaign's responses are not reviewed again) — that end within
    [first, last], for the communities under ``root_path``."""
    rows = (Tally.objects.filter(unit_path__startswith=root_path, campaign__ends_on__gte=first,
                                 campaign__ends_on__lte=last, campaign__status=CampaignStatus.CLOSED)
            .exclude(campaign__mode="mock")
            .values_list("unit_path", "responses", *TALLY_FIELDS))
    out = []
    for path, responses, *numbers in rows:
        counts = {rate: [numbers[2 * i], numbers[2 * i + 1]] for i, rate in enumerate(Rate.values)}
        out.append((path, responses, counts))
    return out


def official(unit: Unit, first, last) -> dict[str, stats.RateFigure]:
    """Each rate of ``unit`` (its communities together) over the official campaigns ending in the period;
    empty when there is no counted response."""
    totals = {rate: [0, 0] for rate in Rate.values}
    responses = 0
    for _, n, counts in official_counts(unit.path, first, last):
        responses += n
        for rate, (positive, answered) in counts.items():
            totals[rate][0] += positive
            totals[rate][1] += answered
    if not responses:
        return {}
    return {rate: stats.figure(p, n) for rate, (p, n) in totals.items() if n}


# the rate a check item of the index system measures, read from its short name (群众知晓率 → 知晓率); a
# 窗口服务满意率 item is about the window's clients, not residents: it matches none
RATE_BY_NAME = {label: value for value, label in Rate.choices}


def rate_of_item(item) -> str | None:
    name = getattr(item, "short_name", "") or ""
    return next((rate for label, rate in RATE_BY_NAME.items() if label in name), None)


def latest_official(unit: Unit):
    """(campaign, {rate: figure}) of the latest closed official campaign with counted responses in ``unit``'s
    communities, or None: what an inspector entering a 问卷调查 item's rate at a point of the unit sees."""
    tallies = (Tally.objects.filter(unit_path__startswith=unit.path, responses__gt=0,
                                    campaign__status=CampaignStatus.CLOSED)
               .exclude(campaign__mode="mock").select_related("campaign").order_by("-campaign__ends_on", "-campaign_id"))
    first = tallies.first()
    if first is None:
        return None
    totals = {rate: [0, 0] for rate in Rate.values}
    for tally in tallies.filter(campaign_id=first.campaign_id):
        for rate in Rate.values:
            totals[rate][0] += getattr(tally, rate)
            totals[rate][1] += getattr(tally, f"answered_{rate}")
    return first.campaign, {rate: stats.figure(p, n) for rate, (p, n) in totals.items() if n}
