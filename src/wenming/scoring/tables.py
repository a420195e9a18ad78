"""The ranking table's rows as HTML, built in Python (every value escaped): a city's ranking page shows
100 of 1,500 rows with their components, and the template language's per-cell tags were most of the
page's time (bench ranking)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

HONOURS = {"red": '<span class="badge green">红旗榜</span>', "yellow": '<span class="badge red">黄牌榜</span>'}


def _change(score) -> str:
    change = score.change
    text = "—" if change is None else ("持平" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}"))
    if score.previous_rank:
        return format_html('{}<div class="muted">上期第{}名</div>', text, score.previous_rank)
    return text


def ranking_rows_html(period, rows, columns: int) -> str:
    if not rows:
        return format_html('<tr><td colspan="{}" class="muted">没有您可查看的单位</td></tr>', columns)
    base = reverse("scoring:score", args=[period.pk, 0])[:-2]   # …/units/ without the id
    out = []
    for r in rows:
        mark = format_html('<div class="muted">{}</div>', r.mark) if r.mark else ""
        parts = "".join(format_html("<td>{}</td>", p["points"]) if p["points"] is not None
                        else '<td><span class="muted">—</span></td>' for p in r.components)
        honour = HONOURS.get(r.honour, "") + ('<span class="badge">取消评先</span>' if r.disqualified else "")
        out.append(format_html(
            '<tr data-unit="{}"><td>{}</td><td><a href="{}{}/">{}</a>{}</td><td><strong>{}</strong></td><td>{}</td>{}'
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            r.unit_id, r.rank or "—", base, r.unit_id, r.unit_name, mark, r.total, _change(r), mark_safe(parts),
            f"{len(r.adjustments)}项" if r.adjustments else "—", r.sample, mark_safe(honour)))
    return mark_safe("\n".join(out))
