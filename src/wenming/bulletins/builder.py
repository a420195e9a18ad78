"""What a bulletin says, built once from stored figures (a closed period's scores, the problems as
they stood at its end, the 督办 and 通报批评 of the period) and the office's own text; the .docx, the
PDF and the page's preview all render this :class:`~wenming.bulletins.content.BulletinContent`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.files.storage import default_storage
from django.db.models import F
from django.utils import timezone

from wenming.cases.models import PhotoPhase, Problem, ProblemEvent, ProblemPhoto, State
from wenming.org.doccodes import effective_doc_code
from wenming.scoring.metrics import Window
from wenming.scoring.models import PeriodScore

from .content import BulletinContent, Paragraph, PhotoPair, Section, Table
from .models import Bulletin, BulletinKind

CHINESE_NUMERALS = "一二三四五六七八九十"
TYPICAL_PROBLEMS = 6


def office_name(issuer) -> str:
    return f"{issuer.name}创建全国文明城市工作指挥部办公室" if issuer.parent_id is None else f"{issuer.name}创建办"


def number_preview(bulletin: Bulletin) -> str:
    """The 文号 as issued, or the one it will get (without its number) while a draft."""
    if bulletin.number:
        return bulletin.number
    year = timezone.localdate().year
    return f"{effective_doc_code(bulletin.issuer).code}通〔{year}〕  号"


def _change(score: PeriodScore) -> str:
    if score.previous_total is None:
        return "—"
    change = score.total - score.previous_total
    return "持平" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")


def _paragraphs(text: str) -> list[Paragraph]:
    return [Paragraph(line.strip()) for line in (text or "").splitlines() if line.strip()]


def scores_of(bulletin: Bulletin) -> list[PeriodScore]:
    period = bulletin.period
    if period is None:
        return []
    return list(PeriodScore.objects.filter(period=period, version=period.version)
                .order_by(F("rank").asc(nulls_last=True), "-total", "unit_name"))


def _ranking_table(period, scores: list[PeriodScore]) -> Table:
    labels = [p["label"] for p in scores[0].components] if scores else []
    header = ["名次", "单位", "总分", "较上期"] + labels + ["测评点位", "榜单"]
    rows, yellow = [], set()
    for n, s in enumerate(scores):
        honour = {"red": "红旗榜", "yellow": "黄牌榜"}.get(s.honour, "")
        rows.append([str(s.rank) if s.rank else "—", s.unit_name + (f"（{s.mark}）" if s.mark else ""), str(s.total),
                     _change(s)] + [p["points"] or "—" for p in s.components] + [str(s.sample), honour])
        if s.honour == "yellow":
            yellow.add(n)
    return Table(f"{period.scheme.name}{period.label}排名（同类同项，百分制）", header, rows, yellow)


def _criticised(bulletin: Bulletin) -> list[tuple[Problem, object]]:
    """Problems put on the 通报批评 list (督办函 deadline missed) in the period, under the scheme's range."""
    period = bulletin.period
    window = Window(period.start, period.end, period.inputs_until)
    events = (ProblemEvent.objects.filter(action="bulletin", at__gte=window.start, at__lt=window.end,
                                          problem__unit_path__startswith=period.scheme.root_path)
              .select_related("problem", "problem__unit").order_by("at"))
    return [(e.problem, e.at) for e in events]


def _typical(bulletin: Bulletin) -> list[Problem]:
    """Closed in the period, under the range, with photos before and after: the most reworked first."""
    period = bulletin.period
    window = Window(period.start, period.end, period.inputs_until)
    with_after = ProblemPhoto.objects.filter(phase=PhotoPhase.AFTER).values("problem_id")
    with_before = ProblemPhoto.objects.filter(phase=PhotoPhase.BEFORE).values("problem_id")
    return list(Problem.objects.filter(state=State.CLOSED, closed_at__gte=window.start, closed_at__lt=window.end,
                                       unit_path__startswith=period.scheme.root_path, pk__in=with_after)
                .filter(pk__in=with_before).select_related("unit")
                .order_by("-rework_count", "-supervision_count", "closed_at")[:TYPICAL_PROBLEMS])


def _photo_bytes(problem: Problem, phase: str) -> bytes | None:
    link = problem.photos.filter(phase=phase).select_related("photo").order_by("id").first()
    if link is None:
        return None
    try:
        with default_storage.open(link.photo.image.name, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def content(bulletin: Bulletin, *, photos: bool = True) -> BulletinContent:
    """The whole document. ``photos=False`` leaves the photo pairs' images out (the page's preview
    shows the photos from their own addresses)."""
    sections: list[Section] = []

    def add(heading: str, blocks: list) -> None:
        if blocks:
            sections.append(Section(f"{CHINESE_NUMERALS[len(sections)]}、{heading}", blocks))

    intro = _paragraphs(bulletin.intro)
    period = bulletin.period
    if period is not None:
        scores = scores_of(bulletin)
        ranked = [s for s in scores if s.rank is not None]
        average = (sum((s.total for s in ranked), Decimal(0)) / len(ranked)).quantize(Decimal("0.01")) if ranked \
            else None
        facts = (f"{period.label}，按照《{period.scheme.name}》，对{len(scores)}个单位进行了考核，"
                 f"其中{len(ranked)}个单位参与排名" + (f"，平均得分{average}分。" if average is not None else "。"))
        add("总体情况", [Paragraph(facts)] + intro)
        if bulletin.kind in (BulletinKind.WEEKLY, BulletinKind.MONTHLY) and scores:
            add("考核排名", [_ranking_table(period, scores)])
        red = [s for s in scores if s.honour == "red"]
        yellow = [s for s in scores if s.honour == "yellow"]
        lists = []
        if red and bulletin.kind != BulletinKind.CRITICISM:
            lists.append(Paragraph("红旗榜：" + "、".join(f"{s.unit_name}（{s.total}分）" for s in red) + "。"))
        if yellow and bulletin.kind != BulletinKind.COMMENDATION:
            lists.append(Paragraph("黄牌榜：" + "、".join(f"{s.unit_name}（{s.total}分）" for s in yellow) + "。"))
        add("红旗榜和黄牌榜", lists)
        if bulletin.kind in (BulletinKind.WEEKLY, BulletinKind.MONTHLY, BulletinKind.CRITICISM):
            rows = []
            for s in scores:
                parts = {p["metric"]: p.get("detail") or {} for p in s.components}
                overdue = parts.get("rectification", {}).get("overdue", 0)
                notices = parts.get("supervision", {}).get("notices", 0)
                letters = parts.get("supervision", {}).get("letters", 0)
                if overdue or notices or letters:
                    rows.append([s.unit_name, str(overdue), str(notices), str(letters)])
            if rows:
                add("逾期和督办情况", [Table("期末逾期问题和本期督办（件、份）", ["单位", "期末逾期", "督办单", "督办函"], rows)])
            criticised = _criticised(bulletin)
            if criticised:
                add("通报批评", [
                    Paragraph("以下问题经督办函督办后逾期仍未整改到位，予以通报批评："),
                    Table("通报批评名单", ["编号", "问题", "责任单位", "列入时间"],
                          [[p.code, p.title, p.unit.name if p.unit_id else "—",
                            timezone.localtime(at).strftime("%Y-%m-%d")] for p, at in criticised])])
        if bulletin.kind != BulletinKind.COMMENDATION:
            typical = _typical(bulletin)
            if typical:
                add("典型问题整改情况", [PhotoPair(
                    f"{p.code} {p.title}（{p.unit.name if p.unit_id else ''}）",
                    _photo_bytes(p, PhotoPhase.BEFORE) if photos else None,
                    _photo_bytes(p, PhotoPhase.AFTER) if photos else None) for p in typical])
    else:
        add("基本情况", intro)
    add("下步工作要求", _paragraphs(bulletin.requirements))
    issued_on = timezone.localtime(bulletin.issued_at).date() if bulletin.issued_at else timezone.localdate()
    return BulletinContent(
        office_name=office_name(bulletin.issuer), doc_number=number_preview(bulletin), title=bulletin.title,
        addressees=bulletin.addressees, sections=sections, signature=bulletin.signature, issued_on=issued_on,
        cc=bulletin.cc, printer=bulletin.signature, printed_on=issued_on)


def named_units(bulletin: Bulletin) -> list[int]:
    """The units the bulletin is sent to: every unit of the period's ranking, and the units of the
    problems it criticises."""
    ids = [s.unit_id for s in scores_of(bulletin)]
    if bulletin.period is not None:
        ids += [p.unit_id for p, _ in _criticised(bulletin) if p.unit_id]
    return sorted(set(ids))


def default_title(kind: str, period) -> str:
    if period is None:
        return {BulletinKind.CRITICISM: "关于问题整改不力单位的通报批评", BulletinKind.COMMENDATION: "关于表扬先进单位的通报",
                BulletinKind.SPECIAL: "关于专项整治工作情况的通报"}.get(kind, "通报")
    what = {BulletinKind.CRITICISM: "通报批评", BulletinKind.COMMENDATION: "表扬通报"}.get(kind, "考核结果的通报")
    if kind in (BulletinKind.CRITICISM, BulletinKind.COMMENDATION):
        return f"关于{period.label}{period.scheme.name}考核情况的{what}"
    return f"关于{period.label}{period.scheme.name}{what}"


def today() -> date:
    return timezone.localdate()
