"""The dashboard's tables, made once from the selectors' figures: the page shows each under its chart
(for screen readers and copying), the chart is drawn from it, and the Excel export writes it — so
the three never disagree."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse
from django.utils.safestring import SafeData, mark_safe

from . import selectors

PASS_TEXT = f"最近得分≥{selectors.PASS_SCORE}分为达标"
LAZY_ROWS = 60


@dataclass
class Cell:
    text: object
    url: str = ""
    trend: str = ""          # up, down, flat: the arrow shown before the text


@dataclass
class Table:
    name: str                # the export's address: /dashboard/export/<name>/
    title: str
    header: list[str]
    rows: list[list]         # values, or Cell
    highlight: list[bool] = field(default_factory=list)
    note: str = ""
    chart: dict | None = None
    badge_column: int = 0    # where a highlighted row's 包保 mark goes (the unit's name)

    @property
    def lazy(self) -> bool:
        """Too long to send with the page: its rows load when the reader opens them (the chart and the
        Excel export have them all)."""
        return len(self.rows) > LAZY_ROWS

    @property
    def lines(self) -> list[tuple[list, bool]]:
        """(row, highlighted) pairs, for the page."""
        return [(row, n < len(self.highlight) and self.highlight[n]) for n, row in enumerate(self.rows)]

    @staticmethod
    def value(cell):
        return cell.text if isinstance(cell, Cell) else cell

    def body_html(self) -> str:
        """The table's rows as HTML, built here with plain string joins rather than by the template
        or ``format_html`` per cell: a city's map table has ten thousand cells, and per-cell tags cost
        more than all the page's SQL (bench ranking). Every value is escaped (:func:`_escape`)."""
        if not self.rows:
            return mark_safe(f'<tr><td colspan="{len(self.header)}" class="muted">暂无数据</td></tr>')
        parts = []
        for row, patron in self.lines:
            cells = []
            for n, cell in enumerate(row):
                inner = _cell_html(cell)
                if patron and n == self.badge_column:
                    inner += ' <span class="badge">包保</span>'
                cells.append(f'<th scope="row">{inner}</th>' if n == 0 else f"<td>{inner}</td>")
            parts.append(f'<tr{PATRON_CLASS if patron else ""}>{"".join(cells)}</tr>')
        return mark_safe("\n".join(parts))


PATRON_CLASS = ' class="dash-patron"'
TRENDS = {"up": "▲ 上升", "down": "▼ 下降"}


def _escape(value) -> str:
    """HTML for one value: numbers as they are, nothing as "—", text escaped (quotes too), safe strings kept."""
    if value is None:
        return "—"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, SafeData):
        return str(value)
    return html.escape(str(value), quote=True)


def _cell_html(cell) -> str:
    if isinstance(cell, Cell):
        if cell.url:
            return f'<a href="{_escape(cell.url)}">{_escape(cell.text)}</a>'
        if cell.trend:
            return (f'<span class="trend trend-{_escape(cell.trend)}">{TRENDS.get(cell.trend, "■")}</span> '
                    f"{_escape(cell.text)}")
        return _escape(cell.text)
    return _escape(cell)


def _n(value):
    return "—" if value is None else value


def today_tables(today: selectors.Today) -> list[Table]:
    header = [label for _, label in selectors.FIGURES]
    units = Table("today_units", "今日态势（按单位）", ["单位", *header],
                  [[line.label, *line.values] for line in today.by_unit] + [[today.total.label, *today.total.values]],
                  [line.highlight for line in today.by_unit] + [False])
    units.chart = {"kind": "bars", "labels": [line.label for line in today.by_unit],
                   "series": [{"name": label, "values": [line.get(key) for line in today.by_unit]}
                              for key, label in selectors.FIGURES]}
    cats = Table("today_categories", "今日态势（按问题类别）", ["问题类别", *header],
                 [[line.label, *line.values] for line in today.by_category])
    cats.chart = {"kind": "bars", "labels": [line.label for line in today.by_category],
                  "series": [{"name": label, "values": [line.get(key) for line in today.by_category]}
                             for key, label in selectors.FIGURES]}
    tables = [units, cats]
    if today.patrons:
        tables.append(Table("today_patrons", "我包保的单位", ["单位", *header],
                            [[line.label, *line.values] for line in today.patrons], [True] * len(today.patrons)))
    return tables


def ranking_tables(rankings: list[selectors.Ranking]) -> list[Table]:
    tables = []
    for n, ranking in enumerate(rankings):
        rows = []
        for row in ranking.rows:
            url = reverse("scoring:score", args=[ranking.period.pk, row.unit_id]) if row.link else ""
            change = "—" if row.change is None else ("持平" if row.change == 0 else f"{abs(row.change)}")
            rows.append([_n(row.rank) if row.rank else "—", Cell(row.unit_name, url=url), row.total,
                         Cell(change, trend=row.trend), _n(row.previous_rank),
                         {"red": "红旗榜", "yellow": "黄牌榜"}.get(row.honour, row.mark)])
        note = (f"共{ranking.count}个单位，此处显示前{selectors.RANKING_ROWS}名和后{selectors.RANKING_ROWS}名。"
                if ranking.cut else "")
        table = Table(f"ranking_{n}", f"{ranking.scheme.name} · {ranking.period.label}",
                      ["名次", "单位", "总分", "较上期", "上期名次", "榜单"], rows,
                      [row.highlight for row in ranking.rows], note, badge_column=1)
        table.chart = {"kind": "hbar", "labels": [row.unit_name for row in ranking.rows],
                       "values": [float(row.total) for row in ranking.rows], "unit": "分",
                       "colors": [{"red": "#c0392b", "yellow": "#e0a800"}.get(row.honour, "#3a6ea5")
                                  for row in ranking.rows]}
        tables.append(table)
    return tables


def point_tables(points: selectors.PointFigures) -> list[Table]:
    lines = points.by_unit
    units = Table("points_units", "点位达标率（按区域）", ["区域", "点位数", "已测评", "达标", "达标率（%）", "平均得分"],
                  [[line.label, line.points, line.scored, line.passed, _n(line.pass_rate), _n(line.average)]
                   for line in lines] + [[points.total.label, points.total.points, points.total.scored,
                                          points.total.passed, _n(points.total.pass_rate), _n(points.total.average)]],
                  [line.highlight for line in lines] + [False], PASS_TEXT)
    units.chart = {"kind": "hbar", "labels": [line.label for line in lines],
                   "values": [None if line.pass_rate is None else float(line.pass_rate) for line in lines],
                   "unit": "%"}
    cells = Table("points_map", "点位达标率分布图（网格）", ["经度", "纬度", "点位数", "已测评", "达标", "达标率（%）"],
                  [[c.longitude, c.latitude, c.points, c.scored, c.passed, _n(c.pass_rate)] for c in points.cells],
                  note=f"按点位坐标划分为边长约{points.step:.4f}度的方格；{PASS_TEXT}。")
    cells.chart = {"kind": "cells", "cells": [[c.longitude, c.latitude, -1 if c.pass_rate is None else c.pass_rate,
                                               c.points] for c in points.cells]}
    return [cells, units]


def item_table(items: selectors.Items) -> Table:
    titles = "、".join(r.title for r in items.rounds)
    table = Table("items", "失分最多的测评项目", ["测评项目", "编码", "适用次数", "不达标次数", "不达标率（%）"],
                  [[r.title, r.code, r.applied, r.failed, r.rate] for r in items.rates],
                  note=f"统计最近发布的测评轮次：{titles}。" if titles else "暂无已发布的测评轮次。")
    table.chart = {"kind": "hbar", "labels": [r.title for r in items.rates],
                   "values": [float(r.rate) for r in items.rates], "unit": "%", "colors": ["#c0392b"] * len(items.rates)}
    return table


def heat_table(heat: selectors.Heat) -> Table:
    header = ["区域", *heat.categories, "合计"]
    rows = [[a.label, *[a.get("c:" + c) for c in heat.categories], a.get("n")] for a in heat.by_area]
    table = Table("heat", f"问题热度（近{heat.days}天，按区域和类别）", header, rows,
                  [a.highlight for a in heat.by_area], f"近{heat.days}天新发现的问题数（不含不予受理、已合并）。")
    table.chart = {"kind": "heat", "x": heat.categories, "y": heat.areas, "cells": heat.cells}
    return table
