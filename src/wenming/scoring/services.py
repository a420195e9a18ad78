"""Writes of assessment: schemes (create, edit a draft, activate, new version), closing and
re-opening periods, 加减分事项, escalation decisions and the 奖惩台账. Each runs in one transaction,
checks the policy and writes an audit event (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from wenming.cases.metrics.figures import period_bounds, period_label
from wenming.core import access, audit
from wenming.core.errors import Conflict
from wenming.org.models import Unit, UnitKind

from . import compute, metrics, policy
from .errors import ScoringError
from .models import (
    Adjustment,
    AdjustmentKind,
    Component,
    LedgerEntry,
    LedgerKind,
    ListMode,
    Metric,
    NegativeEffect,
    Period,
    PeriodKind,
    PeriodScore,
    PeriodStatus,
    Scheme,
    SchemeStatus,
    StepStatus,
    WarningStep,
    lineage_q,
)

DEFAULT_STEPS = ["约谈", "通报批评", "问责"]
MAX_TEXT = {"name": 100, "title": 100, "source": 100, "note": 200, "reason": 200, "description": 2000}


def _refuse(actor, permission: str, target=None, unit=None):
    access.refuse_forbidden(actor, permission, target=target, unit=unit)


def _text(value: str, field: str, label: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ScoringError(f"{label}含有不可见的控制字符，请删除后重试", field)
    if required and not value:
        raise ScoringError(f"请填写{label}", field)
    limit = MAX_TEXT.get(field)
    if limit and len(value) > limit:
        raise ScoringError(f"{label}最多{limit}个字，现有{len(value)}个字", field)
    return value


def _decimal(value, field: str, label: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ScoringError(f"{label}应为数字", field) from None
    if not number.is_finite() or number < low or number > high:
        raise ScoringError(f"{label}应在{low}到{high}之间", field)
    if number != number.quantize(Decimal("0.01")):
        raise ScoringError(f"{label}最多保留两位小数", field)
    return number


# --- schemes -------------------------------------------------------------------------------------------

@dataclass
class SchemeRules:
    """What a scheme's form sets (all validated by :func:`_check_rules`)."""

    name: str
    period_kinds: list[str]
    min_sample: int
    red_mode: str
    red_value: Decimal
    yellow_mode: str
    yellow_value: Decimal
    escalate_after: int
    escalation_steps: list[str]
    weights: dict[str, Decimal]
    params: dict[str, dict]


def default_rules(name: str) -> SchemeRules:
    return SchemeRules(
        name=name, period_kinds=[PeriodKind.WEEK, PeriodKind.MONTH], min_sample=3,
        red_mode=ListMode.RANK, red_value=Decimal(3), yellow_mode=ListMode.RANK, yellow_value=Decimal(3),
        escalate_after=2, escalation_steps=list(DEFAULT_STEPS),
        weights={metric: Decimal(weight) for metric, weight in metrics.DEFAULT_WEIGHTS},
        params={metric: dict(values) for metric, values in metrics.DEFAULT_PARAMS.items()})


def _check_rules(rules: SchemeRules) -> SchemeRules:
    errors: dict[str, str] = {}

    def check(field, fn):
        try:
            return fn()
        except ScoringError as exc:
            errors[exc.field or field] = exc.message
            return None

    rules.name = check("name", lambda: _text(rules.name, "name", "方案名称"))
    kinds = [k for k in rules.period_kinds if k in PeriodKind.values]
    if not kinds or len(kinds) != len(rules.period_kinds):
        errors["period_kinds"] = "请至少选择一种考核周期（周、月、季度、年）"
    rules.period_kinds = [k for k in PeriodKind.values if k in kinds]
    if not 0 <= int(rules.min_sample) <= 100:
        errors["min_sample"] = "排名最少测评点位数应在0到100之间"
    for prefix, label in (("red", "红旗榜"), ("yellow", "黄牌榜")):
        mode = getattr(rules, f"{prefix}_mode")
        if mode not in ListMode.values:
            errors[f"{prefix}_mode"] = f"{label}的评定方式无效"
            continue
        high = Decimal(1000) if mode == ListMode.RANK else Decimal(100)
        value = check(f"{prefix}_value", lambda p=prefix, lbl=label, h=high: _decimal(
            getattr(rules, f"{p}_value"), f"{p}_value", f"{lbl}的名次或分数线", Decimal(0), h))
        if value is not None and mode == ListMode.RANK and value != value.to_integral_value():
            errors[f"{prefix}_value"] = f"{label}按名次评定时应填整数名次"
        setattr(rules, f"{prefix}_value", value)
    if not 1 <= int(rules.escalate_after) <= 12:
        errors["escalate_after"] = "连续黄牌次数应在1到12之间"
    steps = [s.strip() for s in rules.escalation_steps if s and s.strip()]
    if not steps or any(len(s) > 20 or "\x00" in s for s in steps) or len(steps) > 6:
        errors["escalation_steps"] = "请填写1至6个问责步骤，每个不超过20个字（如：约谈、通报批评、问责）"
    rules.escalation_steps = steps
    weights = {}
    for metric in Metric.values:
        if metric in rules.weights and rules.weights[metric] not in (None, ""):
            value = check(f"weight_{metric}", lambda m=metric: _decimal(
                rules.weights[m], f"weight_{m}", f"{Metric(m).label}的分值", Decimal(0), Decimal(100)))
            if value:
                weights[metric] = value
    if not errors and sum(weights.values(), Decimal(0)) != 100:
        errors["weights"] = f"各考核项目分值合计应为100分，现为{sum(weights.values(), Decimal(0))}分"
    rules.weights = weights
    for metric, fields_ in metrics.PARAM_FIELDS.items():
        values = dict(rules.params.get(metric) or {})
        for key, label, low, high in fields_:
            if key in values:
                value = check(f"{metric}_{key}", lambda v=values[key], f=f"{metric}_{key}", lbl=label, lo=low, hi=high:
                              _decimal(v, f, lbl, Decimal(lo), Decimal(hi)))
                values[key] = float(value) if value is not None else None
        rules.params[metric] = values
    if errors:
        raise ScoringError("考核方案有误：" + "；".join(errors.values()), errors=errors)
    return rules


def _write_rules(scheme: Scheme, rules: SchemeRules) -> None:
    for attr in ("name", "period_kinds", "min_sample", "red_mode", "red_value", "yellow_mode", "yellow_value",
                 "escalate_after", "escalation_steps"):
        setattr(scheme, attr, getattr(rules, attr))
    scheme.save()
    scheme.components.all().delete()
    Component.objects.bulk_create([
        Component(scheme=scheme, metric=metric, weight=weight, params=metrics.params_of(metric, rules.params.get(metric)),
                  sort=n) for n, (metric, weight) in enumerate(sorted(rules.weights.items(),
                                                                      key=lambda kv: Metric.values.index(kv[0])))])


def assessable_kinds() -> list[tuple[str, str]]:
    return [(k, label) for k, label in UnitKind.choices if k != UnitKind.CITY]


def scheme_create(*, actor, owner: Unit, root: Unit, unit_kind: str, parent_kind: str = "",
                  rules: SchemeRules | None = None, activate: bool = False) -> Scheme:
    """A new scheme (a draft unless ``activate``) for the units of ``unit_kind`` under ``root``."""
    if not policy.may_create(actor, owner):
        _refuse(actor, "scoring.scheme_create", target=owner, unit=owner)
    if not root.path.startswith(owner.path):
        raise ScoringError("考核范围应在制定单位的管辖范围内", "root")
    if unit_kind not in dict(assessable_kinds()):
        raise ScoringError("请选择被考核单位的类型", "unit_kind")
    if parent_kind and parent_kind not in UnitKind.values:
        raise ScoringError("上级单位类型无效", "parent_kind")
    rules = _check_rules(rules or default_rules(f"{root.name}{UnitKind(unit_kind).label}考核方案"))
    with transaction.atomic():
        scheme = Scheme(owner=owner, owner_path=owner.path, root=root, root_path=root.path, unit_kind=unit_kind,
                        parent_kind=parent_kind, created_by=actor)
        _write_rules(scheme, rules)
        audit.record("scoring.scheme_create", actor=actor, target=scheme, unit=owner,
                     detail={"name": scheme.name, "unit_kind": unit_kind, "root": root.code})
        if activate:
            _activate(actor, scheme)
    return scheme


def scheme_update(*, actor, scheme: Scheme, rules: SchemeRules) -> Scheme:
    if not policy.may_manage(actor, scheme):
        _refuse(actor, "scoring.scheme_update", target=scheme, unit=scheme.owner)
    rules = _check_rules(rules)
    with transaction.atomic():
        locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if locked.status != SchemeStatus.DRAFT:
            raise Conflict("只能修改草稿状态的考核方案；施行中的方案请先“生成新版本”再修改。")
        _write_rules(locked, rules)
        audit.record("scoring.scheme_update", actor=actor, target=locked, unit=locked.owner,
                     detail={"weights": {k: str(v) for k, v in rules.weights.items()}})
    return locked


def _activate(actor, scheme: Scheme) -> None:
    if sum((c.weight for c in scheme.components.all()), Decimal(0)) != 100:
        raise ScoringError("各考核项目分值合计应为100分，才能施行")
    now = timezone.now()
    # the version it replaces, and any other active scheme of the same peers, retire
    Scheme.objects.filter(root=scheme.root, unit_kind=scheme.unit_kind, parent_kind=scheme.parent_kind,
                          status=SchemeStatus.ACTIVE).exclude(pk=scheme.pk).update(status=SchemeStatus.RETIRED)
    scheme.status, scheme.activated_at = SchemeStatus.ACTIVE, now
    scheme.save(update_fields=["status", "activated_at", "updated_at"])
    audit.record("scoring.scheme_activate", actor=actor, target=scheme, unit=scheme.owner,
                 detail={"version": scheme.version})


def scheme_activate(*, actor, scheme: Scheme) -> Scheme:
    if not policy.may_manage(actor, scheme):
        _refuse(actor, "scoring.scheme_activate", target=scheme, unit=scheme.owner)
    with transaction.atomic():
        locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if locked.status != SchemeStatus.DRAFT:
            raise Conflict("该方案不是草稿，不能再次施行。")
        _activate(actor, locked)
    return locked


def scheme_new_version(*, actor, scheme: Scheme) -> Scheme:
    """A draft copy of ``scheme`` with the next version number, to edit and then activate."""
    if not policy.may_manage(actor, scheme):
        _refuse(actor, "scoring.scheme_new_version", target=scheme, unit=scheme.owner)
    with transaction.atomic():
        if Scheme.objects.filter(previous=scheme, status=SchemeStatus.DRAFT).exists():
            raise Conflict("该方案已有待施行的新版本草稿，请直接修改该草稿。")
        copy = Scheme.objects.get(pk=scheme.pk)
        copy.pk = None
        copy.version, copy.previous, copy.status, copy.activated_at = scheme.version + 1, scheme, SchemeStatus.DRAFT, None
        copy.created_by = actor
        copy.save()
        Component.objects.bulk_create([Component(scheme=copy, metric=c.metric, weight=c.weight, params=c.params,
                                                 sort=c.sort) for c in scheme.components.all()])
        audit.record("scoring.scheme_new_version", actor=actor, target=copy, unit=scheme.owner,
                     detail={"from_version": scheme.version, "version": copy.version})
    return copy


# --- periods -------------------------------------------------------------------------------------------

def assessed_units(scheme: Scheme):
    units = Unit.objects.filter(path__startswith=scheme.root_path, kind=scheme.unit_kind, is_active=True) \
        .exclude(pk=scheme.root_id)
    if scheme.parent_kind:
        units = units.filter(parent__kind=scheme.parent_kind)
    return units.order_by("path")


def period_dates(kind: str, day: date) -> tuple[date, date, str]:
    start, end = period_bounds(kind, day)
    return start.date(), end.date() - timedelta(days=1), period_label(kind, day)


@dataclass
class Computed:
    unit: Unit
    parts: list[compute.Part]
    entries: list[compute.Entry]
    total: compute.Total
    row: compute.Row
    sample: int


def compute_period(scheme: Scheme, first: date, last: date, until: datetime) -> list[Computed]:
    """Every assessed unit's parts, total and rank for ``[first, last]`` reading what existed at
    ``until``: a fixed number of queries whatever the number of units."""
    units = list(assessed_units(scheme))
    by_path = {u.path: u.pk for u in units}
    window = metrics.Window(first, last, until)
    components = list(scheme.components.all())
    params = {c.metric: metrics.params_of(c.metric, c.params) for c in components}
    values: dict[str, dict[int, metrics.Value]] = {}
    if any(c.metric == Metric.INSPECTION for c in components):
        values[Metric.INSPECTION] = metrics.inspection(by_path, window, scheme.root_path, params[Metric.INSPECTION])
    if any(c.metric == Metric.SURVEY for c in components):
        values[Metric.SURVEY] = metrics.survey(by_path, window, scheme.root_path)
    if any(c.metric == Metric.TASKS for c in components):
        values[Metric.TASKS] = metrics.tasks(by_path, window, scheme.root_path, params[Metric.TASKS])
    if any(c.metric in (Metric.RECTIFICATION, Metric.SUPERVISION) for c in components):
        rect, sup = metrics.problem_components(by_path, window, scheme.root_path, params)
        values[Metric.RECTIFICATION], values[Metric.SUPERVISION] = rect, sup
    entries = _entries(by_path, scheme, first, last, until)
    out = []
    for unit in units:
        parts = []
        sample = 0
        for c in components:
            value = values.get(c.metric, {}).get(unit.pk)
            if c.metric == Metric.INSPECTION and value is not None:
                sample = value.sample
            if value is None:
                parts.append(compute.Part(c.metric, c.get_metric_display(), c.weight, None, "暂无数据来源，本期不计。"))
            else:
                parts.append(compute.Part(c.metric, c.get_metric_display(), c.weight, value.score, value.text,
                                          value.detail))
        unit_entries = entries.get(unit.pk, [])
        result = compute.total(parts, unit_entries)
        row = compute.Row(unit.pk, unit.name, result.total, sample, result.disqualified)
        out.append(Computed(unit, parts, unit_entries, result, row, sample))
    ordered = compute.rank([c.row for c in out], scheme.min_sample)
    compute.lists(ordered, scheme.red_mode, scheme.red_value, scheme.yellow_mode, scheme.yellow_value)
    position = {row.unit_id: n for n, row in enumerate(ordered)}
    out.sort(key=lambda c: position[c.unit.pk])
    return out


def _entries(units: dict[str, int], scheme: Scheme, first: date, last: date, until: datetime):
    from django.db.models import Q

    rows = (Adjustment.objects.filter(unit_path__startswith=scheme.root_path, occurred_on__gte=first,
                                      occurred_on__lte=last, created_at__lte=until)
            .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=until)).order_by("occurred_on", "id"))
    found: dict[int, list[compute.Entry]] = {}
    for a in rows:
        unit_id = metrics._owner_of(a.unit_path, units)
        if unit_id is not None:
            found.setdefault(unit_id, []).append(compute.Entry(a.pk, a.kind, a.title, a.points, a.effect, a.cap))
    return found


def _part_json(part: compute.Part) -> dict:
    return {"metric": part.metric, "label": part.label, "weight": str(part.weight),
            "score": None if part.score is None else str(part.score),
            "points": None if part.points is None else str(part.points), "text": part.text, "detail": part.detail}


def _entry_json(entry: compute.Entry) -> dict:
    return {"id": entry.id, "kind": entry.kind, "title": entry.title, "points": str(entry.points),
            "effect": entry.effect, "cap": None if entry.cap is None else str(entry.cap)}


def previous_period(period: Period) -> Period | None:
    return (Period.objects.filter(lineage_q(period.scheme), kind=period.kind, end__lt=period.start,
                                  status=PeriodStatus.CLOSED).order_by("-end").first())


def period_close(*, actor, scheme: Scheme, kind: str, day: date, now: datetime | None = None) -> Period:
    """Close the ``kind`` period of ``scheme`` that holds ``day``: compute and store every assessed
    unit's score (a new version), the 红黄榜 and the escalation proposals."""
    if not policy.may_manage(actor, scheme):
        _refuse(actor, "scoring.period_close", target=scheme, unit=scheme.owner)
    if kind not in scheme.period_kinds:
        raise ScoringError("该考核方案不按此周期考核", "kind")
    if scheme.status != SchemeStatus.ACTIVE:
        raise ScoringError("只有施行中的考核方案才能关闭考核期")
    now = now or timezone.now()
    first, last, label = period_dates(kind, day)
    if period_bounds(kind, day)[1] > now:
        raise ScoringError(f"{label}尚未结束，不能关闭", "day")
    if Period.objects.filter(scheme=scheme, kind=kind, start=first, status=PeriodStatus.CLOSED).exists():
        raise Conflict(f"{label}已关闭，可能已有他人操作，请刷新后查看。")
    # the computation reads only (what existed at ``now``): outside the transaction, so that a city's
    # close does not hold the database's write lock (SQLite) while it aggregates
    rows = compute_period(scheme, first, last, now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Period.objects.get_or_create(scheme=scheme, kind=kind, start=first,
                                             defaults={"end": last, "label": label})
        except IntegrityError:
            pass  # created meanwhile by another close: the lock below decides
        period = Period.objects.select_for_update().get(scheme=scheme, kind=kind, start=first)
        if period.status == PeriodStatus.CLOSED:
            raise Conflict(f"{label}已关闭，可能已有他人操作，请刷新后查看。")
        period.version += 1
        period.status, period.inputs_until, period.closed_at, period.closed_by = \
            PeriodStatus.CLOSED, now, now, actor
        period.save()
        previous = previous_period(period)
        before = {}
        if previous is not None:
            before = {s.unit_id: s for s in PeriodScore.objects.filter(period=previous, version=previous.version)}
        PeriodScore.objects.bulk_create([
            PeriodScore(period=period, version=period.version, unit=c.unit, unit_path=c.unit.path,
                        unit_name=c.unit.name, components=[_part_json(p) for p in c.parts],
                        adjustments=[_entry_json(e) for e in c.entries], base=c.total.base, total=c.total.total,
                        sample=c.sample, rank=c.row.rank, mark=c.row.mark, honour=c.row.honour,
                        disqualified=c.total.disqualified, notes=c.total.notes,
                        previous_total=before[c.unit.pk].total if c.unit.pk in before else None,
                        previous_rank=before[c.unit.pk].rank if c.unit.pk in before else None)
            for c in rows], batch_size=1000)
        proposed = _propose_steps(period, [c for c in rows if c.row.honour == "yellow"], now)
        audit.record("scoring.period_close", actor=actor, target=period, unit=scheme.owner,
                     detail={"label": label, "version": period.version, "units": len(rows),
                             "red": sum(1 for c in rows if c.row.honour == "red"),
                             "yellow": sum(1 for c in rows if c.row.honour == "yellow"), "steps": proposed})
    return period


def _propose_steps(period: Period, yellows: list[Computed], now: datetime) -> int:
    """For each unit on the 黄牌榜 ``escalate_after`` periods in a row (this one included), propose the
    next step: the first at the threshold, the next for each further period in a row."""
    scheme = period.scheme
    # a re-close replaces what was only proposed; decisions made stay
    WarningStep.objects.filter(period=period, status=StepStatus.PROPOSED).delete()
    if not yellows:
        return 0
    earlier = list(Period.objects.filter(lineage_q(scheme), kind=period.kind, status=PeriodStatus.CLOSED,
                                         end__lt=period.start).order_by("-end")[:24])
    yellow_in: dict[int, set[int]] = {}
    for p in earlier:
        yellow_in[p.pk] = set(PeriodScore.objects.filter(period=p, version=p.version, honour="yellow")
                              .values_list("unit_id", flat=True))
    decided = set(WarningStep.objects.filter(period=period).exclude(status=StepStatus.PROPOSED)
                  .values_list("unit_id", flat=True))
    made = 0
    for c in yellows:
        run, expected_end = 1, period.start - timedelta(days=1)
        for p in earlier:  # consecutive: each earlier period must end the day before the next starts
            if p.end != expected_end or c.unit.pk not in yellow_in[p.pk]:
                break
            run += 1
            expected_end = p.start - timedelta(days=1)
        if run < scheme.escalate_after or c.unit.pk in decided:
            continue
        level, step = compute.next_step(scheme.escalation_steps or DEFAULT_STEPS, run - scheme.escalate_after)
        WarningStep.objects.create(period=period, unit=c.unit, level=level, step=step, proposed_at=now,
                                   reason=f"连续{run}期列入黄牌榜")
        made += 1
    return made


def period_reopen(*, actor, period: Period, reason: str) -> Period:
    """Re-open a closed period (the stored version stays on record; closing again writes the next)."""
    if not policy.may_manage(actor, period.scheme):
        _refuse(actor, "scoring.period_reopen", target=period, unit=period.scheme.owner)
    reason = _text(reason, "reason", "重新开启的理由")
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if locked.status != PeriodStatus.CLOSED:
            raise Conflict("该考核期未关闭，可能已有他人重新开启，请刷新后查看。")
        if locked.bulletins.filter(status="issued").exists():  # bulletins.Bulletin (related name)
            raise ScoringError("该考核期的通报已印发，排名已公开，不能重新开启")
        locked.status = PeriodStatus.OPEN
        locked.save(update_fields=["status"])
        audit.record("scoring.period_reopen", actor=actor, target=locked, unit=locked.scheme.owner,
                     detail={"label": locked.label, "version": locked.version, "reason": reason})
    return locked


def verify_period(period: Period) -> list[str]:
    """Recompute a closed period from what existed when it was closed; the differences (none expected)."""
    if period.status != PeriodStatus.CLOSED or period.inputs_until is None:
        return ["该考核期未关闭"]
    rows = compute_period(period.scheme, period.start, period.end, period.inputs_until)
    stored = {s.unit_id: s for s in PeriodScore.objects.filter(period=period, version=period.version)}
    diffs = []
    for c in rows:
        s = stored.pop(c.unit.pk, None)
        if s is None:
            diffs.append(f"{c.unit.name}：存档中没有该单位")
        elif (s.total, s.rank, s.honour) != (c.total.total, c.row.rank, c.row.honour):
            diffs.append(f"{c.unit.name}：存档{s.total}分第{s.rank}名，复算{c.total.total}分第{c.row.rank}名")
    diffs.extend(f"{s.unit_name}：复算时已不在考核范围" for s in stored.values())
    return diffs


# --- entries -------------------------------------------------------------------------------------------

def adjustment_add(*, actor, unit: Unit, kind: str, occurred_on: date, title: str, points, effect: str = "",
                   cap=None, source: str = "", description: str = "", photos=()) -> Adjustment:
    if not policy.may_enter_for(actor, unit):
        if not access.scope_for(actor).sees_unit(unit):
            access.refuse_not_found(actor, "unit", target=unit)
        _refuse(actor, "scoring.adjustment_add", target=unit, unit=unit)
    errors = {}
    if kind not in AdjustmentKind.values:
        errors["kind"] = "请选择事项类别"
    if effect and (kind != AdjustmentKind.NEGATIVE or effect not in NegativeEffect.values):
        errors["effect"] = "只有负面清单事项可以封顶、计零或取消评先资格"
    try:
        title = _text(title, "title", "事项")
        source = _text(source, "source", "来源", required=False)
        description = _text(description, "description", "情况说明", required=False)
    except ScoringError as exc:
        errors[exc.field] = exc.message
    try:
        points = _decimal(points if points not in (None, "") else 0, "points", "分值", Decimal(0), Decimal(100))
    except ScoringError as exc:
        errors["points"] = exc.message
    if effect == NegativeEffect.CAP:
        try:
            cap = _decimal(cap, "cap", "封顶分数", Decimal(0), Decimal(100))
        except ScoringError as exc:
            errors["cap"] = exc.message
    else:
        cap = None
    if not isinstance(occurred_on, date) or occurred_on > timezone.localdate():
        errors["occurred_on"] = "发生日期不能晚于今天"
    if kind in (AdjustmentKind.EXPOSURE, AdjustmentKind.DEDUCTION, AdjustmentKind.BONUS) and not errors.get("points") \
            and not points:
        errors["points"] = "请填写扣分或加分的分值"
    if errors:
        raise ScoringError("；".join(errors.values()), errors=errors)
    with transaction.atomic():
        entry = Adjustment.objects.create(unit=unit, unit_path=unit.path, kind=kind, occurred_on=occurred_on,
                                          title=title, source=source, points=points, effect=effect or "",
                                          cap=cap, description=description, created_by=actor)
        if photos:
            entry.photos.set(photos)
        audit.record("scoring.adjustment_add", actor=actor, target=entry, unit=unit,
                     detail={"kind": kind, "title": title, "points": str(points), "effect": effect or "",
                             "occurred_on": occurred_on.isoformat()})
    return entry


def adjustment_withdraw(*, actor, adjustment: Adjustment, reason: str) -> Adjustment:
    if not policy.may_enter_for(actor, adjustment.unit):
        _refuse(actor, "scoring.adjustment_withdraw", target=adjustment, unit=adjustment.unit)
    reason = _text(reason, "reason", "撤销理由")
    with transaction.atomic():
        locked = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
        if locked.withdrawn_at is not None:
            raise Conflict("该事项已撤销。")
        locked.withdrawn_at, locked.withdrawn_by, locked.withdraw_reason = timezone.now(), actor, reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason", "updated_at"])
        audit.record("scoring.adjustment_withdraw", actor=actor, target=locked, unit=locked.unit,
                     detail={"reason": reason})
    return locked


def step_decide(*, actor, step: WarningStep, accept: bool, note: str) -> WarningStep:
    if not policy.may_manage(actor, step.period.scheme):
        _refuse(actor, "scoring.step_decide", target=step.unit, unit=step.period.scheme.owner)
    note = _text(note, "note", "决定意见", required=not accept)
    with transaction.atomic():
        locked = WarningStep.objects.select_for_update().get(pk=step.pk)
        if locked.status != StepStatus.PROPOSED:
            raise Conflict("该问责建议已有决定，可能已有他人处理，请刷新后查看。")
        locked.status = StepStatus.DECIDED if accept else StepStatus.DISMISSED
        locked.decided_by, locked.decided_at, locked.note = actor, timezone.now(), note
        locked.save()
        audit.record("scoring.step_decide", actor=actor, target=locked.unit, unit=locked.unit,
                     detail={"step": locked.step, "level": locked.level, "accepted": accept, "note": note,
                             "period": locked.period.label})
    return locked


def ledger_add(*, actor, unit: Unit, period: Period | None, kind: str, amount, note: str) -> LedgerEntry:
    if not policy.may_enter_for(actor, unit):
        if not access.scope_for(actor).sees_unit(unit):
            access.refuse_not_found(actor, "unit", target=unit)
        _refuse(actor, "scoring.ledger_add", target=unit, unit=unit)
    errors = {}
    if kind not in LedgerKind.values:
        errors["kind"] = "请选择奖惩类别"
    try:
        note = _text(note, "note", "说明")
    except ScoringError as exc:
        errors["note"] = exc.message
    if amount not in (None, ""):
        try:
            amount = _decimal(amount, "amount", "金额或分值", Decimal("-99999999"), Decimal("99999999"))
        except ScoringError as exc:
            errors["amount"] = exc.message
    else:
        amount = None
    if period is not None and not policy.may_manage(actor, period.scheme):
        errors["period"] = "找不到所选考核期"
    if errors:
        raise ScoringError("；".join(errors.values()), errors=errors)
    with transaction.atomic():
        entry = LedgerEntry.objects.create(unit=unit, unit_path=unit.path, period=period, kind=kind, amount=amount,
                                           note=note, created_by=actor)
        audit.record("scoring.ledger_add", actor=actor, target=unit, unit=unit,
                     detail={"kind": kind, "amount": None if amount is None else str(amount), "note": note,
                             "period": period.label if period else ""})
    return entry
