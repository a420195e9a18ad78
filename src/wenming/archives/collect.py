"""Evidence the platform already holds, linked (never copied) into the 创城档案 of each requirement that asks
for it (its ``auto_sources``) and each unit it applies to:

* 会议纪要 — a meeting with minutes, of the unit, that turned a decision into a task of the requirement's
  indicator;
* 任务进度报告 — an accepted progress report of the unit on a task of the requirement's indicator;
* 问题整改 — a closed problem with after-photos, raised at a point of the unit by the requirement's check item;
* 测评结果 — a passed result of the requirement's check item at a point of the unit (with photos, for 实景图片);
* 通报 — an issued bulletin of the unit (for the requirements of the office's own materials).

:func:`collect` brings the links in line with what the platform holds: it adds the new, and removes those
whose record no longer qualifies (a re-opened problem). A link counts as 合格 until an office returns it.
Run by ``wenming sweep`` and by the office's 立即归集."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wenming.bulletins.models import Bulletin, BulletinStatus
from wenming.cases.models import PhotoPhase, ProblemPhoto, State
from wenming.inspections.models import Inspection, ItemResult
from wenming.plans.models import Meeting, ProgressReport, ReportStatus, Task

from .completeness import applicable_units
from .models import Evidence, EvidenceStatus, MaterialType, Requirement, Source

BATCH = 1000


@dataclass
class Link:
    requirement_id: int
    unit_id: int
    source: str
    key: str
    year: int
    title: str
    happened_on: object
    fk: dict


@dataclass
class CollectResult:
    added: int = 0
    removed: int = 0
    kept: int = 0


def _year(moment) -> tuple[int, object]:
    """(year, day) of a moment (a datetime, in local time) or a day; a missing moment counts as today."""
    if moment is None:
        moment = timezone.now()
    day = timezone.localtime(moment).date() if isinstance(moment, datetime.datetime) else moment
    return day.year, day


def wanted(requirements: list[Requirement]) -> list[Link]:
    """Every link the platform's records give ``requirements`` (``point_types`` prefetched)."""
    applies = applicable_units(requirements, Q())
    links: list[Link] = []
    by_source: dict[str, list[Requirement]] = defaultdict(list)
    for requirement in requirements:
        for source in requirement.auto_sources:
            by_source[source].append(requirement)

    by_indicator: dict[int, list[Requirement]] = defaultdict(list)
    for requirement in by_source[Source.MEETING]:
        by_indicator[requirement.indicator_id].append(requirement)
    if by_indicator:
        decided: dict[int, set[int]] = defaultdict(set)
        for meeting_id, indicator_id in (Task.objects.filter(meeting__isnull=False,
                                                             indicators__in=sorted(by_indicator))
                                         .values_list("meeting_id", "indicators")):
            decided[meeting_id].add(indicator_id)
        for meeting in (Meeting.objects.filter(pk__in=sorted(decided)).exclude(minutes="")
                        .values("pk", "owner_id", "held_on", "title", "kind")):
            for indicator_id in decided[meeting["pk"]]:
                for requirement in by_indicator[indicator_id]:
                    if meeting["owner_id"] in applies[requirement.pk]:
                        links.append(Link(requirement.pk, meeting["owner_id"], Source.MEETING, f"meeting:{meeting['pk']}",
                                          meeting["held_on"].year, meeting["title"], meeting["held_on"],
                                          {"meeting_id": meeting["pk"]}))

    by_indicator = defaultdict(list)
    for requirement in by_source[Source.REPORT]:
        by_indicator[requirement.indicator_id].append(requirement)
    if by_indicator:
        for report in (ProgressReport.objects.filter(status=ReportStatus.ACCEPTED,
                                                     task__indicators__in=sorted(by_indicator))
                       .values("pk", "unit_id", "period_end", "task__seq", "task__content", "task__indicators")):
            for requirement in by_indicator[report["task__indicators"]]:
                if report["unit_id"] in applies[requirement.pk]:
                    title = f"第{report['task__seq']}项任务进度报告：{report['task__content']}"[:200]
                    links.append(Link(requirement.pk, report["unit_id"], Source.REPORT, f"report:{report['pk']}",
                                      report["period_end"].year, title, report["period_end"],
                                      {"report_id": report["pk"]}))

    by_item: dict[int, list[Requirement]] = defaultdict(list)
    for requirement in by_source[Source.PROBLEM]:
        if requirement.item_id:
            by_item[requirement.item_id].append(requirement)
    if by_item:
        after = ProblemPhoto.objects.filter(phase=PhotoPhase.AFTER).values("problem_id")
        for row in (ItemResult.objects.filter(item_id__in=sorted(by_item), problem__state=State.CLOSED,
                                              problem_id__in=after)
                    .values("problem_id", "item_id", "inspection__round_point__unit_id", "problem__closed_at",
                            "problem__code", "problem__title").distinct()):
            unit_id = row["inspection__round_point__unit_id"]
            year, day = _year(row["problem__closed_at"])
            for requirement in by_item[row["item_id"]]:
                if unit_id in applies[requirement.pk]:
                    links.append(Link(requirement.pk, unit_id, Source.PROBLEM, f"problem:{row['problem_id']}", year,
                                      f"问题{row['problem__code']}整改：{row['problem__title']}"[:200], day,
                                      {"problem_id": row["problem_id"]}))

    by_item = defaultdict(list)
    for requirement in by_source[Source.INSPECTION]:
        if requirement.item_id:
            by_item[requirement.item_id].append(requirement)
    if by_item:
        rows = (ItemResult.objects.filter(item_id__in=sorted(by_item), applicable=True, failed=False,
                                          inspection__status=Inspection.Status.SUBMITTED)
                .values("pk", "item_id", "inspection__round_point__unit_id", "inspection__submitted_at",
                        "inspection__round_point__point__name", "inspection__round_point__round__title"))
        photographed = set(ItemResult.objects.filter(item_id__in=sorted(by_item), applicable=True, failed=False,
                                                     photos__isnull=False).values_list("pk", flat=True).distinct())
        for row in rows:
            unit_id = row["inspection__round_point__unit_id"]
            year, day = _year(row["inspection__submitted_at"])
            title = f"{row['inspection__round_point__round__title']}：{row['inspection__round_point__point__name']}"
            for requirement in by_item[row["item_id"]]:
                if requirement.material_type == MaterialType.PHOTO and row["pk"] not in photographed:
                    continue
                if unit_id in applies[requirement.pk]:
                    links.append(Link(requirement.pk, unit_id, Source.INSPECTION, f"result:{row['pk']}", year,
                                      title[:200], day, {"result_id": row["pk"]}))

    if by_source[Source.BULLETIN]:
        for bulletin in (Bulletin.objects.filter(status=BulletinStatus.ISSUED)
                         .values("pk", "issuer_id", "issued_at", "title", "number")):
            year, day = _year(bulletin["issued_at"])
            for requirement in by_source[Source.BULLETIN]:
                if bulletin["issuer_id"] in applies[requirement.pk]:
                    links.append(Link(requirement.pk, bulletin["issuer_id"], Source.BULLETIN,
                                      f"bulletin:{bulletin['pk']}", year,
                                      f"{bulletin['number']} {bulletin['title']}".strip()[:200], day,
                                      {"bulletin_id": bulletin["pk"]}))
    return links


def collect(requirements=None) -> CollectResult:
    """Bring the links of ``requirements`` (default: every active one) in line with the platform's records."""
    if requirements is None:
        requirements = list(Requirement.objects.filter(is_active=True).prefetch_related("point_types"))
    result = CollectResult()
    links = {(link.requirement_id, link.unit_id, link.key): link for link in wanted(requirements)}
    ids = [r.pk for r in requirements]
    unit_paths: dict[int, str] = {}
    with transaction.atomic():
        existing = {(r, u, k): pk for pk, r, u, k in Evidence.objects.filter(requirement_id__in=ids)
                    .exclude(link_key="").values_list("pk", "requirement_id", "unit_id", "link_key")}
        stale = [pk for key, pk in existing.items() if key not in links]
        for start in range(0, len(stale), BATCH):
            Evidence.objects.filter(pk__in=stale[start:start + BATCH]).delete()
        new = [link for key, link in links.items() if key not in existing]
        if new:
            from wenming.org.models import Unit

            unit_paths = dict(Unit.objects.filter(pk__in=sorted({link.unit_id for link in new}))
                              .values_list("pk", "path"))
        Evidence.objects.bulk_create([
            Evidence(requirement_id=link.requirement_id, unit_id=link.unit_id, unit_path=unit_paths[link.unit_id],
                     year=link.year, title=link.title, happened_on=link.happened_on, source=link.source,
                     link_key=link.key, status=EvidenceStatus.ACCEPTED, **link.fk) for link in new],
            batch_size=BATCH)
    result.added, result.removed, result.kept = len(new), len(stale), len(links) - len(new)
    return result
