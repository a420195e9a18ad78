"""The 网上申报 package: a zip with one folder per indicator holding the files of every material that counts
(合格, of the years the requirement covers, of the units the office oversees), an index sheet
(材料索引.xlsx) naming every material — linked records too, with where they live in the platform — and,
per indicator, one merged PDF of its PDFs, photos (losslessly, by img2pdf) and Office documents (by
LibreOffice, when the server has it; otherwise the index says which were left out).

Built as a background job (core.jobs) with progress, re-checking the owner's scope when it runs."""

from __future__ import annotations

import io
import logging
import re
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import img2pdf
import pikepdf
import xlsxwriter
from django.utils import timezone

from wenming.bulletins.documents import office_to_pdf
from wenming.bulletins.errors import PdfFailed, PdfUnavailable
from wenming.cases.models import PhotoPhase, ProblemPhoto
from wenming.core import access, jobs
from wenming.plans.models import MeetingFile, ReportFile

from . import policy, selectors
from .models import Evidence, EvidenceStatus

log = logging.getLogger(__name__)
KIND = "archives.package"
OFFICE = {"docx", "doc", "wps", "xlsx", "xls", "et", "pptx", "ppt"}
IMAGES = {"jpg", "jpeg", "png"}
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str, limit: int = 80) -> str:
    return UNSAFE.sub("_", text).strip(" .")[:limit] or "_"


@jobs.task()
def package_export(job_id: int) -> dict:
    return jobs.run(job_id, write_package)


def enqueue(*, actor, year: int):
    if not policy.may_export_package(actor):
        access.refuse_forbidden(actor, "archives.package")
    return jobs.enqueue(actor=actor, kind=KIND, title=f"网上申报材料包（{year}年）", params={"year": year},
                        task=package_export)


def _files_of(evidence: Evidence) -> list[tuple[str, object]]:
    """(file name, a FieldFile) of each file a material brings: its own uploads, or its linked record's."""
    if evidence.meeting_id:
        return [(f.filename, f.file) for f in MeetingFile.objects.filter(meeting_id=evidence.meeting_id)]
    if evidence.report_id:
        return [(f.filename, f.file) for f in ReportFile.objects.filter(report_id=evidence.report_id)]
    if evidence.problem_id:
        return [(f"整改后照片{n}.jpg", p.photo.image) for n, p in enumerate(
            ProblemPhoto.objects.filter(problem_id=evidence.problem_id, phase=PhotoPhase.AFTER)
            .select_related("photo"), start=1)]
    if evidence.result_id:
        return [(f"测评照片{n}.jpg", photo.image) for n, photo in enumerate(evidence.result.photos.all(), start=1)]
    if evidence.bulletin_id:
        bulletin = evidence.bulletin
        return [(f"{safe_name(bulletin.number or bulletin.title)}.{kind}", getattr(bulletin, kind))
                for kind in ("pdf", "docx") if getattr(bulletin, kind)][:1]
    return [(f.filename, f.file) for f in evidence.files.all()]


def counted(owner, year: int):
    """The materials that count for ``year`` in the owner's scope, by indicator."""
    requirements = list(selectors.requirements(owner, system=selectors.system_in_use(), active_only=True))
    first = {r.pk: r.first_year(year) for r in requirements}
    rows = (Evidence.objects.filter(policy.evidence_filter(owner), requirement__in=requirements,
                                    status=EvidenceStatus.ACCEPTED, year__lte=year)
            .select_related("unit", "requirement", "requirement__indicator", "bulletin", "result")
            .prefetch_related("files").order_by("requirement__sort", "requirement_id", "unit__path", "year", "id"))
    by_indicator = defaultdict(list)
    for evidence in rows:
        if evidence.year >= first[evidence.requirement_id]:
            by_indicator[evidence.requirement.indicator].append(evidence)
    return by_indicator


def write_package(job, progress) -> jobs.Output:
    owner = job.owner
    if not policy.may_export_package(owner):
        raise jobs.JobFailed("您已不是创建办人员，不能导出申报材料包。")
    year = int(job.params.get("year") or timezone.localdate().year)
    by_indicator = counted(owner, year)
    total = sum(len(rows) for rows in by_indicator.values())
    progress.start(total)
    out = tempfile.TemporaryFile()
    index_rows, done, left_out = [], 0, 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for indicator in sorted(by_indicator, key=lambda i: (i.code, i.pk)):
            folder = safe_name(f"{indicator.code} {indicator.name}")
            pieces: list[tuple[str, bytes]] = []
            names: set[str] = set()
            for evidence in by_indicator[indicator]:
                stored = []
                for n, (filename, field) in enumerate(_files_of(evidence), start=1):
                    try:
                        with field.open("rb") as handle:
                            data = handle.read()
                    except (OSError, ValueError):
                        log.warning("package: file of evidence %s is missing", evidence.pk)
                        continue
                    name = safe_name(f"{evidence.requirement.code}-{evidence.unit.name}-{evidence.year}-"
                                     f"{evidence.pk}-{n}-{filename}", 150)
                    while name in names:
                        name = "_" + name
                    names.add(name)
                    archive.writestr(f"{folder}/{name}", data)
                    stored.append(f"{folder}/{name}")
                    pieces.append((name, data))
                index_rows.append([indicator.code, indicator.name, evidence.requirement.code,
                                   evidence.requirement.title, evidence.requirement.get_material_type_display(),
                                   evidence.unit.name, evidence.year, evidence.title,
                                   evidence.get_source_display(), evidence.happened_on or "", "；".join(stored)])
                done += 1
                progress(done)
            merged, skipped = merge_pdf(pieces)
            left_out += len(skipped)
            if merged:
                archive.writestr(f"{folder}/{folder}（合并）.pdf", merged)
            for name in skipped:
                index_rows.append([indicator.code, indicator.name, "", "", "", "", "", f"未并入合并PDF：{name}",
                                   "", "", ""])
        archive.writestr("材料索引.xlsx", _index_sheet(index_rows, year))
    message = f"共{total}份材料，{len(by_indicator)}个指标" + (f"；{left_out}个文件未能并入合并PDF（见索引）" if left_out else "")
    return jobs.Output(file=out, name=f"网上申报材料包-{year}-{timezone.localdate():%Y%m%d}.zip",
                       content_type="application/zip", message=message)


def merge_pdf(pieces: list[tuple[str, bytes]]) -> tuple[bytes | None, list[str]]:
    """One PDF of the pieces in order (PDFs as they are, photos by img2pdf, Office documents by LibreOffice);
    the names of the pieces that could not be merged."""
    skipped: list[str] = []
    pdfs: list[bytes | None] = []
    office: dict[int, Path] = {}
    with tempfile.TemporaryDirectory(prefix="wenming-package-") as tmp:
        work = Path(tmp)
        for n, (name, data) in enumerate(pieces):
            extension = name.rsplit(".", 1)[-1].lower()
            if extension == "pdf":
                pdfs.append(data)
            elif extension in IMAGES:
                try:
                    pdfs.append(img2pdf.convert(data))
                except Exception:  # a damaged image: listed, not fatal
                    log.warning("package: image %s not converted", name)
                    pdfs.append(None)
            elif extension in OFFICE:
                path = work / f"{n:05d}.{extension}"
                path.write_bytes(data)
                office[n] = path
                pdfs.append(None)
            else:
                pdfs.append(None)
        if office:
            try:
                converted = office_to_pdf(list(office.values()), work, timeout=600)
            except (PdfUnavailable, PdfFailed):
                converted = {}
            for n, path in office.items():
                pdf = converted.get(path)
                pdfs[n] = pdf.read_bytes() if pdf else None
        result = pikepdf.Pdf.new()
        for (name, _), data in zip(pieces, pdfs, strict=True):
            if data is None:
                skipped.append(name)
                continue
            try:
                with pikepdf.Pdf.open(io.BytesIO(data)) as source:
                    result.pages.extend(source.pages)
            except pikepdf.PdfError:
                skipped.append(name)
        if not len(result.pages):
            return None, skipped
        buffer = io.BytesIO()
        result.save(buffer)
        return buffer.getvalue(), skipped


def _index_sheet(rows: list[list], year: int) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("材料索引")
    bold = book.add_format({"bold": True})
    sheet.write(0, 0, f"{year}年网上申报材料索引", bold)
    header = ["指标编码", "指标", "要求编号", "材料要求", "材料类型", "单位", "年度", "材料名称", "来源", "形成日期", "文件"]
    sheet.write_row(1, 0, header, bold)
    for n, row in enumerate(rows, start=2):
        sheet.write_row(n, 0, [str(v) for v in row])
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 10, 24)
    book.close()
    return buffer.getvalue()
