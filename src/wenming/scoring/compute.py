"""The rules that turn component values into a period's scores, ranks and lists — pure functions of
plain data, so the tests compute them by hand and the demo and the benchmark call the same code.

* **total**: the points of the components with a value (``weight × score / 100``), scaled to 100 when
  some component has no value (按实有项目折算: ``Σ points / Σ weights of those with a value × 100``);
  then the adjustments: 扣分 and 曝光 subtract their points, 加分 adds, between 0 and 100; a 负面清单
  event may also cap the total (the lowest cap wins), zero it, or take away the unit's right to be
  on the 红旗榜 (取消评先资格);
* **rank** (同类同项: a scheme assesses peers of one kind only): units whose 实地测评 sample reaches the
  scheme's minimum are ranked by total — equal totals share a rank and the next rank skips (1, 1, 3);
  the others follow unranked and marked, never above a fully sampled peer;
* **红旗榜 / 黄牌榜**: by rank (the first / last N ranked places, ties included) or by threshold (total ≥ /
  < the value), among ranked units only; a disqualified unit is never on the 红旗榜, and a unit on both
  (a small group) is on the 红旗榜 only;
* **escalation**: a unit on the 黄牌榜 ``escalate_after`` periods in a row gets the next step of the
  ladder (约谈 → 通报批评 → 问责; the last repeats) proposed to the office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TWO = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def q2(value) -> Decimal:
    return Decimal(value).quantize(TWO, ROUND_HALF_UP)


@dataclass
class Part:
    metric: str
    label: str
    weight: Decimal
    score: Decimal | None    # out of 100; None: no value this period
    text: str = ""
    detail: dict = field(default_factory=dict)

    @property
    def points(self) -> Decimal | None:
        return None if self.score is None else q2(self.weight * self.score / HUNDRED)


@dataclass
class Entry:
    """An adjustment as the total reads it."""

    id: int
    kind: str           # exposure, negative, deduction, bonus
    title: str
    points: Decimal     # ≥ 0: subtracted, or added for a bonus
    effect: str = ""    # negative list: "", cap, zero, disqualify
    cap: Decimal | None = None


@dataclass
class Total:
    base: Decimal
    total: Decimal
    disqualified: bool
    notes: list[str]


def total(parts: list[Part], entries: list[Entry]) -> Total:
    notes: list[str] = []
    valued = [p for p in parts if p.score is not None]
    weight = sum((p.weight for p in valued), ZERO)
    full = sum((p.weight for p in parts), ZERO)
    points = sum((p.points for p in valued), ZERO)
    if not valued or not weight:
        base = ZERO
        notes.append("本期各考核项目均无数据，项目得分计0分。")
    elif weight != full:
        base = q2(points / weight * HUNDRED)
        missing = "、".join(p.label for p in parts if p.score is None)
        notes.append(f"{missing}本期无数据，其余项目得分{q2(points)}分（满分{q2(weight)}分）折算为百分制得{base}分。")
    else:
        base = q2(points)
    value = base
    for entry in entries:
        if entry.points:
            value += entry.points if entry.kind == "bonus" else -entry.points
    value = min(max(value, ZERO), HUNDRED)
    disqualified = False
    caps = [e for e in entries if e.effect == "cap" and e.cap is not None]
    if caps:
        lowest = min(caps, key=lambda e: e.cap)
        if value > lowest.cap:
            notes.append(f"负面清单“{lowest.title}”：总分封顶{q2(lowest.cap)}分。")
            value = min(value, lowest.cap)
    zeroing = [e for e in entries if e.effect == "zero"]
    if zeroing:
        notes.append(f"负面清单“{zeroing[0].title}”：总分计0分。")
        value = ZERO
    if any(e.effect == "disqualify" for e in entries):
        disqualified = True
        title = next(e.title for e in entries if e.effect == "disqualify")
        notes.append(f"负面清单“{title}”：取消本期评先资格，不列入红旗榜。")
    return Total(base=base, total=q2(value), disqualified=disqualified, notes=notes)


@dataclass
class Row:
    """A unit's row while ranking: what the rules need and what they give back."""

    unit_id: int
    name: str
    total: Decimal
    sample: int
    disqualified: bool = False
    rank: int | None = None
    mark: str = ""
    honour: str = ""


def rank(rows: list[Row], min_sample: int) -> list[Row]:
    """Ranks in place and returns the rows in ranking order (see the module docstring)."""
    floor = max(0, min_sample)
    ranked = [r for r in rows if r.sample >= floor and (r.sample > 0 or floor == 0)]
    ranked.sort(key=lambda r: (-r.total, r.name))
    previous, place = None, 0
    for position, row in enumerate(ranked, 1):
        if row.total != previous:
            place, previous = position, row.total
        row.rank, row.mark = place, ""
    others = [r for r in rows if r.rank is None]
    for row in others:
        row.mark = ("无实地测评点位" if row.sample == 0
                    else f"测评点位不足（{row.sample}个，少于{floor}个）")
    others.sort(key=lambda r: (-r.total, r.name))
    return ranked + others


def lists(rows: list[Row], red_mode: str, red_value: Decimal, yellow_mode: str, yellow_value: Decimal) -> None:
    """Sets ``honour`` on the rows ("red", "yellow" or ""); unranked rows are on no list."""
    ranked = [r for r in rows if r.rank is not None]
    for row in rows:
        row.honour = ""
    for row in ranked:
        if yellow_mode == "rank":
            # among the last N places: fewer than N ranked units stand strictly below it
            below = sum(1 for other in ranked if other.total < row.total)
            yellow = below < int(yellow_value)
        else:
            yellow = yellow_mode == "threshold" and row.total < yellow_value
        if red_mode == "rank":
            red = row.rank <= int(red_value)
        else:
            red = red_mode == "threshold" and row.total >= red_value
        if red and not row.disqualified:
            row.honour = "red"
        elif yellow:
            row.honour = "yellow"


def next_step(steps: list[str], previous_steps: int) -> tuple[int, str]:
    """(level, step) of the next escalation after ``previous_steps`` decided ones; the last repeats."""
    level = previous_steps + 1
    names = steps or ["约谈"]
    return level, names[min(level, len(names)) - 1]
