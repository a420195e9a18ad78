"""An office's own Word 版式 for its 通报: upload (checked by a trial render, every problem named,
nothing changed on a refusal), the bulletins it makes, earlier ones on record and taken into use
again, back to the shipped template, and who may do what."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wenming.bulletins import services
from wenming.bulletins.documents import default_template
from wenming.bulletins.models import Bulletin, BulletinTemplate
from wenming.core.models import AuditEvent
from wenming.core.tests.helpers import run_pending_tasks

from .test_flow import docx_text, text

pytestmark = pytest.mark.django_db

MARK = "（甲市定制版式）"


def edited(old: str, new: str, data: bytes | None = None) -> bytes:
    """The shipped template with one piece of its document.xml replaced."""
    source = zipfile.ZipFile(io.BytesIO(data or default_template()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "word/document.xml":
                xml = content.decode()
                assert old in xml
                content = xml.replace(old, new, 1).encode()
            target.writestr(entry, content)
    return out.getvalue()


def custom() -> bytes:
    return edited("印发</w:t>", f"印发{MARK}</w:t>")


def upload(client, data: bytes, name: str = "本办版式.docx", **extra):
    return client.post("/bulletins/templates/", {"file": SimpleUploadedFile(name, data), "note": "2027年版头",
                                                 **extra})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def generate(client, bulletin, django_capture_on_commit_callbacks) -> Bulletin:
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/bulletins/{bulletin.pk}/generate/").status_code == 302
    run_pending_tasks()
    return Bulletin.objects.select_related("template").get(pk=bulletin.pk)


def test_an_office_uploads_its_template_and_its_bulletins_are_made_with_it(
        november, personas, org, login, media, django_capture_on_commit_callbacks):
    office = login("office_city")
    page = text(office.get("/bulletins/templates/"))
    assert "当前使用： 系统默认模板" in page and "{{ office_name }}" in page and "{{p body }}" in page
    assert "通报模板" in text(office.get("/bulletins/"))  # the archive links the page

    response = upload(office, custom())
    assert response.status_code == 302
    first = BulletinTemplate.objects.get()
    assert first.is_active and first.issuer == org["city"] and first.filename == "本办版式.docx"
    assert first.size == len(custom()) and first.note == "2027年版头" and first.uploaded_by.username == "office_city"
    page = text(office.get("/bulletins/templates/"))
    assert "当前使用： 本办版式.docx （张建国" in page and "使用中" in page
    event = AuditEvent.objects.get(action="bulletins.template_upload")
    assert event.detail["replaced"] == "系统默认模板" and event.detail["sha256"] == first.sha256
    # the office downloads what it uploaded, byte for byte, and the shipped one
    download = office.get(f"/bulletins/templates/{first.pk}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == custom()
    default = office.get("/bulletins/templates/default/")
    assert b"".join(default.streaming_content) == default_template()

    # a bulletin generated now carries the office's 版式, and says which one made it
    office.post("/bulletins/new/", {"kind": "monthly", "period": str(november.pk), "addressees": "各区创建办"})
    bulletin = generate(office, Bulletin.objects.get(), django_capture_on_commit_callbacks)
    assert bulletin.template == first and MARK in docx_text(bulletin.docx.read())
    assert "版式 本办版式.docx" in text(office.get(f"/bulletins/{bulletin.pk}/"))

    # a second upload replaces it; the first stays on record and can be taken into use again
    upload(office, edited("印发</w:t>", "印发（第二版）</w:t>"), name="第二版.docx")
    second = BulletinTemplate.objects.get(filename="第二版.docx")
    first.refresh_from_db()
    assert second.is_active and not first.is_active
    assert AuditEvent.objects.filter(action="bulletins.template_upload").order_by("id").last(
                                     ).detail["replaced"] == "本办版式.docx"
    assert office.post(f"/bulletins/templates/{first.pk}/activate/").status_code == 302
    assert list(BulletinTemplate.objects.filter(is_active=True)) == [first]
    bulletin = generate(office, bulletin, django_capture_on_commit_callbacks)
    assert bulletin.template == first and MARK in docx_text(bulletin.docx.read())

    # back to the shipped template: none in use, both kept
    assert office.post("/bulletins/templates/reset/", {"issuer": org["city"].pk}).status_code == 302
    assert not BulletinTemplate.objects.filter(is_active=True).exists() and BulletinTemplate.objects.count() == 2
    assert AuditEvent.objects.filter(action="bulletins.template_reset").count() == 1
    bulletin = generate(office, bulletin, django_capture_on_commit_callbacks)
    body = docx_text(bulletin.docx.read())
    assert bulletin.template is None and MARK not in body and "印发" in body
    assert "当前使用： 系统默认模板" in text(office.get("/bulletins/templates/"))


BAD = [
    ("not a document", lambda: b"just some text", "模板.docx", "文件不是 Word 文档（.docx），无法打开"),
    ("old .doc format", lambda: default_template(), "模板.doc", "请上传 Word 文档（.docx）"),
    ("a broken zip", lambda: b"PK\x03\x04" + b"\x00" * 200, "模板.docx", "文件不是 Word 文档（.docx）"),
    ("an unknown field", lambda: edited("{{ title }}", "{{ titel }}"), "模板.docx",
     "使用了不存在的字段：titel；可用的字段有 office_name（版头（发文机关））"),
    ("no place for the body", lambda: edited("{{p body }}", "正文"), "模板.docx",
     "缺少正文的位置：请在要放正文的地方单独一段写 {{p body }}"),
    ("an unclosed tag", lambda: edited("{{ title }}", "{{ title }"), "模板.docx",
     "正文中有没有闭合或不配对的标记"),
    ("a forbidden expression", lambda: edited("{{ title }}", "{{ title.__class__ }}"), "模板.docx",
     "含有不允许的写法"),
    ("too large", lambda: b"PK" + b"0" * (10 * 1024 * 1024), "模板.docx", "模板文件超过10MB"),
]


@pytest.mark.parametrize("case, data, name, message", BAD, ids=[b[0] for b in BAD])
def test_a_template_that_cannot_make_a_bulletin_is_refused_with_its_problems_and_changes_nothing(
        case, data, name, message, personas, login, media):
    office = login("office_city")
    upload(office, custom())
    before = list(BulletinTemplate.objects.values_list("pk", "is_active"))
    events = AuditEvent.objects.count()
    response = upload(office, data(), name=name)
    assert response.status_code == 200
    assert message in text(response)
    assert list(BulletinTemplate.objects.values_list("pk", "is_active")) == before
    assert AuditEvent.objects.count() == events


def test_a_zip_bomb_is_not_unpacked(personas, login, media):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("word/document.xml", b"\x00" * (61 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    response = upload(login("office_city"), out.getvalue())
    assert "文件解压后超过60MB" in text(response) and not BulletinTemplate.objects.exists()


def test_an_empty_file_and_a_missing_file_are_refused(personas, login, media):
    office = login("office_city")
    assert "所提交的是空文件" in text(upload(office, b""))
    assert "这个字段是必填项" in text(office.post("/bulletins/templates/", {"note": "无文件"}))
    assert not BulletinTemplate.objects.exists()


def test_a_template_whose_file_is_gone_fails_the_generation_in_chinese(
        november, personas, login, media, django_capture_on_commit_callbacks):
    office = login("office_city")
    upload(office, custom())
    template = BulletinTemplate.objects.get()
    template.file.storage.delete(template.file.name)
    office.post("/bulletins/new/", {"kind": "monthly", "period": str(november.pk)})
    bulletin = generate(office, Bulletin.objects.get(), django_capture_on_commit_callbacks)
    assert not bulletin.docx
    job = text(office.get(f"/jobs/{bulletin.job_id}/"))
    assert "该模板的文件已不存在，请重新上传模板" in job and "恢复默认模板" in job
    # taking it into use again is refused for the same reason, and nothing changes
    office.post("/bulletins/templates/reset/", {"issuer": template.issuer_id})
    response = office.post(f"/bulletins/templates/{template.pk}/activate/", follow=True)
    assert "该模板的文件已不存在" in text(response)
    assert not BulletinTemplate.objects.filter(is_active=True).exists()


def test_each_office_keeps_its_own_templates_and_no_other_persona_reaches_them(personas, org, login, media):
    city, district = login("office_city"), login("office_district_a")
    upload(city, custom(), name="市版式.docx")
    upload(district, edited("印发</w:t>", "印发（甲区）</w:t>"), name="甲区版式.docx")
    mine = BulletinTemplate.objects.get(filename="市版式.docx")
    theirs = BulletinTemplate.objects.get(filename="甲区版式.docx")
    assert mine.issuer == org["city"] and theirs.issuer == org["district_a"] and mine.is_active and theirs.is_active
    page = text(district.get("/bulletins/templates/"))
    assert "甲区版式.docx" in page and "市版式.docx" not in page
    # the district office reaches nothing of the city's: not its file, not its switches
    assert district.get(f"/bulletins/templates/{mine.pk}/file/").status_code == 404
    assert district.post(f"/bulletins/templates/{mine.pk}/activate/").status_code == 404
    assert district.post("/bulletins/templates/reset/", {"issuer": org["city"].pk}).status_code == 404
    assert district.post("/bulletins/templates/reset/", {"issuer": "x"}).status_code == 404
    mine.refresh_from_db()
    assert mine.is_active
    # staff who do not draft bulletins are refused the page and every action
    for username in ("leader", "handler_street_a1", "inspector", "grid_worker", "citizen", "outsider", "admin"):
        client = login(username)
        assert client.get("/bulletins/templates/").status_code == 403, username
        assert upload(client, custom()).status_code == 403, username
        assert client.get("/bulletins/templates/default/").status_code == 403, username
        assert client.get(f"/bulletins/templates/{mine.pk}/file/").status_code == 404, username
        assert client.post(f"/bulletins/templates/{mine.pk}/activate/").status_code == 404, username
        assert client.post("/bulletins/templates/reset/", {"issuer": org["city"].pk}).status_code == 403, username
        assert "通报模板" not in text(client.get("/bulletins/")) if client.get("/bulletins/").status_code == 200 \
            else True
    assert BulletinTemplate.objects.count() == 2
    # and without logging in, the login page
    from django.test import Client

    assert Client().get("/bulletins/templates/").status_code == 302


def test_the_service_refuses_the_wrong_office(personas, org):
    with pytest.raises(Exception) as refused:
        services.template_upload(actor=personas["office_district_a"], issuer=org["city"], data=custom(),
                                 filename="x.docx")
    assert getattr(refused.value, "code", "") == "forbidden"
    assert not BulletinTemplate.objects.exists()
    assert re.search("没有执行此操作的权限", str(refused.value))
