"""The 网上申报 package as a background job: one folder per indicator with the files of what counts, the index
sheet naming every material (linked records too), a merged PDF per indicator; a waiting or returned material,
or another district's, is not in it."""

import io
import zipfile

import pikepdf
import pytest
from docx import Document
from openpyxl import load_workbook

from wenming.archives import package, services
from wenming.archives.models import EvidenceStatus
from wenming.core import jobs
from wenming.core.models import Job, JobStatus

from .conftest import jpeg, pdf

pytestmark = pytest.mark.django_db


def docx_bytes(text="市民学校教育培训制度") -> bytes:
    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def passed(personas, requirement, unit, files, title):
    evidence = services.evidence_upload(actor=personas["office_city"], requirement=requirement, unit=unit, year=2026,
                                        title=title, files=files)
    return services.evidence_review(actor=personas["office_city"], evidence=evidence, accept=True)


def test_the_package_has_a_folder_an_index_and_a_merged_pdf_per_indicator(requirements, org, personas, login):
    r = requirements
    passed(personas, r["JD06-1"], org["street_a1"], [(pdf(pages=2), "培训制度.pdf"), (docx_bytes(), "制度.docx")],
           "市民学校教育培训制度")
    passed(personas, r["JD06-4"], org["street_a2"], [(jpeg(), "标牌.jpg")], "市民学校标牌")
    passed(personas, r["SQ12G-1"], org["community_a1"], [(pdf(pages=1, marker="心理"), "心理咨询室制度.pdf")],
           "心理咨询室制度")
    # not in the package: one waiting for review, one returned
    services.evidence_upload(actor=personas["handler_street_a1"], requirement=r["JD01-1"], unit=org["street_a1"],
                             year=2026, title="待审核的成立文件", files=[(pdf(marker="待审"), "成立文件.pdf")])
    returned = services.evidence_upload(actor=personas["handler_street_a1"], requirement=r["JD02-1"],
                                        unit=org["street_a1"], year=2026, title="被退回的制度",
                                        files=[(pdf(marker="退回"), "学习制度.pdf")])
    services.evidence_review(actor=personas["office_city"], evidence=returned, accept=False, note="无盖章")

    office = login("office_city")
    response = office.post("/archives/package/", {"year": "2026"})
    job = Job.objects.get(kind=package.KIND)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.owner == personas["office_city"] and job.params == {"year": 2026}
    jobs.run(job.pk, package.write_package)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert job.progress_done == job.progress_total == 3
    assert job.message == "共3份材料，2个指标"
    with job.result_file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        names = sorted(archive.namelist())
        folders = sorted({n.split("/")[0] for n in names if "/" in n})
        jd = next(f for f in folders if f.startswith("0101"))
        assert next(f for f in folders if f != jd).startswith("0103")
        assert len(folders) == 2 and "材料索引.xlsx" in names
        in_jd = sorted(n.split("/", 1)[1] for n in names if n.startswith(jd + "/"))
        assert len(in_jd) == 4 and f"{jd}（合并）.pdf" in in_jd
        assert any(n.endswith("培训制度.pdf") for n in in_jd) and any(n.endswith("标牌.jpg") for n in in_jd)
        merged = pikepdf.Pdf.open(io.BytesIO(archive.read(f"{jd}/{jd}（合并）.pdf")))
        # 2 pages of the PDF, 1 of the photo, and the Word document's page when LibreOffice is here
        from wenming.bulletins.documents import find_soffice

        assert len(merged.pages) == (4 if find_soffice() else 3)
        sheet = load_workbook(io.BytesIO(archive.read("材料索引.xlsx"))).active
        rows = [row for row in sheet.iter_rows(min_row=3, values_only=True)]
        titles = sorted(row[7] for row in rows if row[2])
        assert titles == ["市民学校教育培训制度", "市民学校标牌", "心理咨询室制度"]
        assert all(row[8] == "单位上传" for row in rows if row[2])
        assert not any("待审核" in n or "学习制度" in n for n in names)
    # the download is the owner's, audited
    assert office.get(f"/jobs/{job.pk}/download/").status_code == 200
    assert login("office_district_a").get(f"/jobs/{job.pk}/download/").status_code == 404


def test_a_district_office_packages_its_own_units_only(requirements, org, personas):
    passed(personas, requirements["JD06-4"], org["street_a2"], [(jpeg(), "标牌.jpg")], "甲二标牌")
    passed(personas, requirements["JD06-4"], org["street_b1"], [(jpeg((0, 0, 200)), "标牌.jpg")], "乙一标牌")
    job = package.enqueue(actor=personas["office_district_a"], year=2026)
    jobs.run(job.pk, package.write_package)
    job.refresh_from_db()
    assert job.message == "共1份材料，1个指标"
    with job.result_file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        assert not any("乙一街道" in name for name in archive.namelist())


def test_the_merge_lists_what_it_could_not_take():
    merged, skipped = package.merge_pdf([("a.pdf", pdf(pages=2)), ("坏图.jpg", b"\xff\xd8\xffnot really"),
                                         ("坏.pdf", b"%PDF-1.4 broken")])
    assert len(pikepdf.Pdf.open(io.BytesIO(merged)).pages) == 2
    assert skipped == ["坏图.jpg", "坏.pdf"]
    assert EvidenceStatus.ACCEPTED == "accepted"
