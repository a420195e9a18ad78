"""Demo 创城档案. Small scale, through the real services: the city office derives the requirements from the built-in
system's 材料审核 items, gives a few of them a 完成时限 in the coming weeks, and adds its own requirement for the
创建工作通报 (collected from its issued bulletins); the streets and communities upload their materials over the
year — most passed by the office above them, some waiting for review, a few returned with a reason, and gaps
left on purpose (a third of the cells, more in the demo's 后进 street) — and the platform links what it already
holds (accepted reports, passed inspection results, closed problems, bulletins).

City scale (:func:`build_city_archives`, bulk): the requirements and 50,000 materials over the 120 streets and
1,500 communities — one shared file per kind, stored once by its hash, as identical uploads are."""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import dataclass

from django.utils import timezone

from wenming.archives import collect, completeness, services
from wenming.archives.models import Evidence, EvidenceFile, EvidenceStatus, MaterialType, Requirement, Source
from wenming.org.models import Membership, Role
from wenming.standards.services import load_builtin

from .org import DemoOrg
from .small import simulated_clock

TITLES = {
    MaterialType.DOCUMENT: "{unit}{name}（印发稿）", MaterialType.STATEMENT: "{unit}{name}情况说明",
    MaterialType.PHOTO: "{unit}{name}现场照片", MaterialType.TABLE: "{unit}{name}登记表",
    MaterialType.MINUTES: "{unit}{name}会议记录（第{n}次）", MaterialType.RECORD: "{unit}{name}活动记录（第{n}次）",
}
RETURN_REASONS = ["材料未盖章，请补充盖章扫描件", "照片不清晰，请重新拍摄", "记录缺少时间和参加人员", "与本项要求不符，请重新上传"]


@dataclass
class ArchivesResult:
    requirements: int = 0
    uploads: int = 0
    accepted: int = 0
    waiting: int = 0
    returned: int = 0
    links: int = 0
    cells: int = 0
    complete: int = 0

    def summary(self) -> str:
        share = round(self.complete * 100 / self.cells, 1) if self.cells else 0
        return (f"  创城档案：材料要求 {self.requirements} 项；单位上传材料 {self.uploads} 份（合格 {self.accepted}、"
                f"待审核 {self.waiting}、退回 {self.returned}），平台自动归集 {self.links} 份；"
                f"{self.cells} 项（单位×要求）中齐全 {self.complete} 项（{share}%）")


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def pdf_bytes(title: str) -> bytes:
    """A one-page PDF whose document title makes it a file of its own (a distinct hash)."""
    import pikepdf

    document = pikepdf.Pdf.new()
    document.add_blank_page(page_size=(595, 842))
    document.docinfo["/Title"] = title
    out = io.BytesIO()
    document.save(out, deterministic_id=True)   # the same title, the same bytes (and one stored file)
    return out.getvalue()


def jpeg_bytes(seed: int) -> bytes:
    from PIL import Image

    generator = random.Random(seed)
    out = io.BytesIO()
    Image.new("RGB", (160, 120), tuple(generator.randint(40, 220) for _ in range(3))).save(out, "JPEG", quality=70)
    return out.getvalue()


def _uploaders() -> dict[int, object]:
    found: dict[int, object] = {}
    for membership in (Membership.objects.filter(role__in=[Role.HANDLER, Role.OFFICE], is_active=True,
                                                 user__is_active=True).select_related("user").order_by("role", "id")):
        found.setdefault(membership.unit_id, membership.user)
    return found


def _reviewer(unit, offices: dict[str, object], fallback):
    """The office of the nearest unit above ``unit``."""
    parts = [p for p in unit.path.split("/") if p][:-1]
    for n in range(len(parts), 0, -1):
        user = offices.get("/" + "/".join(parts[:n]) + "/")
        if user is not None:
            return user
    return fallback


def build_archives(org: DemoOrg, *, seed: int = 2026, now: datetime.datetime | None = None,
                   lagging_path: str = "\0") -> ArchivesResult:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    year = today.year
    rng = random.Random(seed + 29)
    office = org.personas["office_city"].user
    system = load_builtin()
    result = ArchivesResult()
    with simulated_clock(lambda: _at(datetime.date(year, 1, 8), 10)):
        services.requirements_derive(actor=office, system=system, owner=org.city)
        indicator = system.indicators.filter(parent__isnull=True).order_by("sort", "code").first()
        services.requirement_create(actor=office, system=system, owner=org.city, data=services.RequirementInput(
            code="CITY-01", title="创建工作通报", material_type=MaterialType.STATEMENT, indicator=indicator,
            description="市创建办印发的周通报、月通报和专项通报", min_count=4, years=1,
            auto_sources=[Source.BULLETIN]))
    requirements = list(Requirement.objects.filter(owner=org.city, is_active=True).prefetch_related("point_types")
                        .select_related("indicator").order_by("sort"))
    result.requirements = len(requirements)
    # a 完成时限 in the coming weeks on a few of them: the reminders have something to say
    for requirement in requirements[:6]:
        requirement.due_date = today + datetime.timedelta(days=rng.choice([5, 12, 20]))
        requirement.save(update_fields=["due_date"])

    applies = completeness.applicable_units(requirements, _all())
    from wenming.org.models import Unit

    units = {u.pk: u for u in Unit.objects.filter(pk__in={u for ids in applies.values() for u in ids})}
    uploaders = _uploaders()
    offices = {m.unit.path: m.user for m in Membership.objects.filter(role=Role.OFFICE, is_active=True)
               .select_related("unit", "user").order_by("id")}
    serial = 0
    for requirement in requirements:
        if not requirement.point_types.all():
            continue   # the office's own: collected from its bulletins
        for unit_id in sorted(applies[requirement.pk], key=lambda u: units[u].path):
            unit = units[unit_id]
            roll = rng.random() + (0.25 if unit.path.startswith(lagging_path) else 0)
            if roll > 0.72:
                continue   # a gap
            wanted = requirement.min_count if roll < 0.5 else max(1, requirement.min_count // 2)
            actor = uploaders.get(unit_id) or _reviewer(unit, offices, office)
            reviewer = _reviewer(unit, offices, office)
            for n in range(1, wanted + 1):
                serial += 1
                day = datetime.date(year, 1, 15) + datetime.timedelta(days=rng.randint(0, max(1, (today - datetime.date(
                    year, 1, 15)).days - 3)))
                title = TITLES[requirement.material_type].format(unit=unit.name, name=_short(requirement), n=n)
                photo = requirement.material_type == MaterialType.PHOTO
                files = [(jpeg_bytes(seed + serial), f"{title}.jpg")] if photo else \
                    [(pdf_bytes(f"{title}-{serial}"), f"{title}.pdf")]
                with simulated_clock(lambda day=day: _at(day, 15)):
                    evidence = services.evidence_upload(actor=actor, requirement=requirement, unit=unit, year=year,
                                                        title=title, happened_on=day, files=files)
                result.uploads += 1
                fate = rng.random()
                if fate < 0.12:
                    result.waiting += 1
                    continue
                returned = fate < 0.2
                with simulated_clock(lambda day=day: _at(min(day + datetime.timedelta(days=2), today), 10)):
                    services.evidence_review(actor=reviewer, evidence=evidence, accept=not returned,
                                             note=rng.choice(RETURN_REASONS) if returned else "")
                if returned:
                    result.returned += 1
                else:
                    result.accepted += 1
    collected = collect.collect()
    result.links = collected.added
    matrix = completeness.compute(requirements, _all(), year)
    result.cells, result.complete = matrix.size, matrix.totals[completeness.COMPLETE]
    return result


def _all():
    from django.db.models import Q

    return Q()


def _short(requirement: Requirement) -> str:
    """The material named by the requirement's title (after its item's name)."""
    return requirement.title.split("：", 1)[-1].split("、")[0]


# --- city scale -----------------------------------------------------------------------------------------------

CITY_EVIDENCE = 50_000


def build_city_archives(org: DemoOrg, *, seed: int = 2026, count: int = CITY_EVIDENCE, progress=None) -> int:
    """The requirements and ``count`` materials in bulk over every unit they apply to: most passed, some waiting or
    returned; each upload carries the one sample file of its kind (the same bytes are stored once)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from wenming.core.uploads import check_upload

    office = org.personas["office_city"].user
    system = load_builtin()
    services.requirements_derive(actor=office, system=system, owner=org.city)
    requirements = list(Requirement.objects.filter(owner=org.city, is_active=True).prefetch_related("point_types"))
    applies = completeness.applicable_units(requirements, _all())
    cells = [(r, u) for r in requirements for u in sorted(applies[r.pk])]
    if not cells:
        return 0
    from wenming.org.models import Unit

    paths = dict(Unit.objects.filter(pk__in={u for _, u in cells}).values_list("pk", "path"))
    samples = {}
    for kind, (data, name) in {"pdf": (pdf_bytes("创城档案材料"), "材料.pdf"), "jpg": (jpeg_bytes(seed), "照片.jpg")}.items():
        found = check_upload(data, name)
        probe = EvidenceFile(sha256=found.sha256, extension=found.extension)
        path = EvidenceFile._meta.get_field("file").upload_to(probe, name)
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(data))
        samples[kind] = (path, name, found)
    rng = random.Random(seed + 31)
    year = timezone.localdate().year
    now = timezone.now()
    made = 0
    batch: list[Evidence] = []
    kinds: list[str] = []

    def flush():
        Evidence.objects.bulk_create(batch, batch_size=2000)
        files = []
        for evidence, kind in zip(batch, kinds, strict=True):
            path, name, found = samples[kind]
            files.append(EvidenceFile(evidence=evidence, file=path, filename=name, extension=found.extension,
                                      content_type=found.content_type, size=found.size, sha256=found.sha256))
        EvidenceFile.objects.bulk_create(files, batch_size=2000)
        batch.clear()
        kinds.clear()

    while made < count:
        requirement, unit_id = cells[rng.randrange(len(cells))]
        fate = rng.random()
        status = (EvidenceStatus.ACCEPTED if fate < 0.8 else EvidenceStatus.SUBMITTED if fate < 0.93
                  else EvidenceStatus.RETURNED)
        batch.append(Evidence(requirement=requirement, unit_id=unit_id, unit_path=paths[unit_id],
                              year=year - (rng.random() < 0.2), title=f"{requirement.code} 材料", status=status,
                              uploaded_by=office, reviewed_by=office if status != EvidenceStatus.SUBMITTED else None,
                              reviewed_at=now if status != EvidenceStatus.SUBMITTED else None,
                              review_note="请补充" if status == EvidenceStatus.RETURNED else "",
                              created_at=now, updated_at=now))
        kinds.append("jpg" if requirement.material_type == MaterialType.PHOTO else "pdf")
        made += 1
        if len(batch) >= 5000:
            flush()
            if progress:
                progress(made)
    if batch:
        flush()
    return made
