"""Uploaded files left without a row by a rolled-back transaction are pruned by the sweep, and only they."""

import datetime
import io
import os

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from wenming.plans import orphans, services
from wenming.plans.models import PlanFile

PDF = b"%PDF-1.4\n%%EOF\n"
OTHER = b"%PDF-1.4\n% another\n%%EOF\n"


class Rollback(Exception):
    pass


def _upload(personas, plan, data, name):
    services.plan_update(actor=personas["office_city"], plan=plan, title=plan.title, year=plan.year,
                         doc_number=plan.doc_number, body=plan.body, files=[(data, name)])


def _age(path, hours):
    then = (timezone.now() - datetime.timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_rolled_back_upload_is_pruned_when_old_and_kept_files_stay(media, personas, plan):
    _upload(personas, plan, PDF, "方案.pdf")
    kept = PlanFile.objects.get()
    with pytest.raises(Rollback), transaction.atomic():
        _upload(personas, plan, OTHER, "附件.pdf")
        raise Rollback
    assert PlanFile.objects.count() == 1
    files = sorted(p for p in media.rglob("*.pdf"))
    assert len(files) == 2                       # the rolled-back upload's content is on disk, with no row
    orphan = next(p for p in files if p.read_bytes() == OTHER)

    fresh = orphans.prune()
    assert (fresh.checked, fresh.deleted) == (2, 0)   # too young: it may belong to an upload still in progress
    for path in files:
        _age(path, 7)
    old = orphans.prune()
    assert (old.checked, old.deleted) == (2, 1)
    assert not orphan.exists() and (media / kept.file.name).read_bytes() == PDF


def test_an_orphan_reused_by_a_new_upload_is_touched_and_kept(media, personas, plan):
    with pytest.raises(Rollback), transaction.atomic():
        _upload(personas, plan, OTHER, "附件.pdf")
        raise Rollback
    (orphan,) = media.rglob("*.pdf")
    _age(orphan, 7)
    _upload(personas, plan, OTHER, "附件（重传）.pdf")       # the same content again: the file is reused …
    assert orphan.stat().st_mtime > (timezone.now() - datetime.timedelta(minutes=5)).timestamp()   # … and touched
    assert orphans.prune(now=timezone.now() + datetime.timedelta(hours=7)).deleted == 0   # a row names it now
    assert PlanFile.objects.get().file.read() == OTHER


def test_the_sweep_reports_the_prune(media, personas, plan):
    with pytest.raises(Rollback), transaction.atomic():
        _upload(personas, plan, OTHER, "附件.pdf")
        raise Rollback
    (orphan,) = media.rglob("*.pdf")
    _age(orphan, 7)
    out = io.StringIO()
    call_command("sweep", stdout=out)
    assert "上传文件：检查 1 个，删除无记录引用的文件 1 个" in out.getvalue()
    assert not orphan.exists()
