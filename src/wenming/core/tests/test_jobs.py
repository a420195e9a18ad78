"""Background jobs (core.jobs): queued with an audit line, run by the worker, throttled progress,
failures in Chinese, owner-only pages and download, cleanup of expired files."""

import tempfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from wenming.core import jobs
from wenming.core.jobs import task
from wenming.core.models import AuditEvent, Job, JobStatus
from wenming.core.tests.helpers import run_pending_tasks

ALL = ["office_city", "office_district_a", "handler_street_a1", "handler_street_a2", "inspector", "leader",
       "grid_worker", "citizen", "admin", "outsider"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _write_greeting(job, progress):
    if job.params.get("fail") == "expected":
        raise jobs.JobFailed("条件不满足，未导出。")
    if job.params.get("fail") == "bug":
        raise RuntimeError("secret internal detail")
    progress.start(3)
    for done in (1, 2, 3):
        progress(done)
    handle = tempfile.TemporaryFile()
    handle.write("你好".encode())
    return jobs.Output(file=handle, name="问候-1.txt", content_type="text/plain; charset=utf-8", message="共 3 条")


@task()
def greeting(job_id: int) -> dict:
    return jobs.run(job_id, _write_greeting)


def start(user, params=None, capture=None) -> Job:
    with capture(execute=True):
        return jobs.enqueue(actor=user, kind="test.greeting", title="问候导出", params=params or {}, task=greeting)


def done_job(user) -> Job:
    job = Job.objects.create(owner=user, kind="test.greeting", title="问候导出", status=JobStatus.DONE,
                             progress_done=3, progress_total=3, result_name="问候-1.txt",
                             result_content_type="text/plain; charset=utf-8", finished_at=timezone.now(),
                             expires_at=timezone.now() + timedelta(hours=72))
    job.result_file.save("x.txt", ContentFile("你好".encode()))
    return job


@pytest.mark.django_db
def test_enqueue_records_job_audit_and_task(personas, django_capture_on_commit_callbacks):
    office = personas["office_city"]
    job = start(office, {"q": "井盖"}, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.owner, job.kind, job.status, job.params) == (office, "test.greeting", JobStatus.QUEUED, {"q": "井盖"})
    result = DBTaskResult.objects.get()
    assert job.task_id == str(result.id)
    assert result.task_path == "wenming.core.tests.test_jobs.greeting" and result.args_kwargs["args"] == [job.pk]
    event = AuditEvent.objects.get(action="job.enqueue")
    assert event.actor_username == "office_city" and event.detail == {"kind": "test.greeting", "params": {"q": "井盖"}}


@pytest.mark.django_db
def test_enqueue_checks_the_permission_first(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        jobs.enqueue(actor=personas["citizen"], kind="test.greeting", title="问候导出", params={}, task=greeting,
                     permission="org.view")
    assert not Job.objects.exists()
    assert AuditEvent.objects.filter(action="access.refused").count() == 1


@pytest.mark.django_db
def test_worker_runs_the_job_and_stores_its_file(personas, django_capture_on_commit_callbacks):
    job = start(personas["office_city"], capture=django_capture_on_commit_callbacks)
    assert run_pending_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and (job.progress_done, job.progress_total, job.percent) == (3, 3, 100)
    assert job.result_file.name.startswith("exports/") and job.result_file.name.endswith(".txt")
    assert job.result_file.read().decode() == "你好" and job.result_name == "问候-1.txt"
    assert job.message == "共 3 条" and job.started_at <= job.finished_at
    assert job.expires_at == job.finished_at + timedelta(hours=72)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    # run again (a duplicated task): nothing happens
    assert greeting.call(job.pk) == {"job": job.pk, "status": "skipped"}


@pytest.mark.django_db
def test_expected_failure_shows_its_chinese_message(personas, login, django_capture_on_commit_callbacks):
    job = start(personas["office_city"], {"fail": "expected"}, django_capture_on_commit_callbacks)
    run_pending_tasks()
    job.refresh_from_db()
    assert (job.status, job.message, bool(job.result_file)) == (JobStatus.FAILED, "条件不满足，未导出。", False)
    page = login("office_city").get(reverse("job", args=[job.pk])).content.decode()
    assert "失败" in page and "条件不满足，未导出。" in page and "hx-trigger" not in page
    event = AuditEvent.objects.get(action="job.fail")
    assert event.result == "failure" and event.detail["message"] == "条件不满足，未导出。"


@pytest.mark.django_db
def test_unexpected_failure_shows_no_traceback(personas, login, django_capture_on_commit_callbacks):
    job = start(personas["office_city"], {"fail": "bug"}, django_capture_on_commit_callbacks)
    run_pending_tasks()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message == jobs.GENERIC_FAILURE
    page = login("office_city").get(reverse("job", args=[job.pk])).content.decode()
    assert jobs.GENERIC_FAILURE in page and "secret internal detail" not in page and "Traceback" not in page
    # the operator finds the error in the task result
    result = DBTaskResult.objects.get()
    assert result.status == "FAILED" and "secret internal detail" in result.traceback


@pytest.mark.django_db
def test_a_deactivated_owner_gets_nothing(personas, django_capture_on_commit_callbacks):
    office = personas["office_city"]
    job = start(office, capture=django_capture_on_commit_callbacks)
    office.is_active = False
    office.save()
    run_pending_tasks()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "停用" in job.message and not job.result_file


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.django_db
def test_progress_is_written_every_2_percent_or_every_2_seconds(personas):
    job = Job.objects.create(owner=personas["office_city"], kind="k", title="t", status=JobStatus.RUNNING)
    clock = FakeClock()
    progress = jobs.Progress(job, clock=clock)
    progress.start(1000)
    seen = []
    for done in range(1, 1001):
        progress(done)
        seen.append(Job.objects.values_list("progress_done", flat=True).get(pk=job.pk))
    assert progress.writes == 1 + 50  # the start, then every 20 rows
    assert seen[18] == 0 and seen[19] == 20 and seen[-1] == 1000
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job.percent) == (1000, 1000, 100)
    # without a total, or slowly: by time
    slow = jobs.Progress(job, clock=clock)
    slow.start(None)
    slow(1)
    slow(2)
    assert slow.writes == 1
    clock.now += 2.5
    slow(3)
    assert slow.writes == 2 and Job.objects.get(pk=job.pk).progress_done == 3


@pytest.mark.django_db
def test_job_page_polls_while_running_and_offers_the_download_when_done(personas, login):
    office = personas["office_city"]
    job = Job.objects.create(owner=office, kind="test.greeting", title="问候导出", status=JobStatus.RUNNING,
                             progress_done=500, progress_total=2000)
    client = login("office_city")
    page = client.get(reverse("job", args=[job.pk])).content.decode()
    assert "进行中" in page and "25%" in page and "500 / 2,000" in page
    assert f'hx-get="{reverse("job_status", args=[job.pk])}"' in page and 'hx-trigger="every 1s"' in page
    assert "htmx-2.0.11.min.js" in page  # the vendored copy, no CDN
    fragment = client.get(reverse("job_status", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="job-status"') and "<html" not in fragment
    ready = done_job(office)
    fragment = client.get(reverse("job_status", args=[ready.pk])).content.decode()
    assert "hx-trigger" not in fragment and reverse("job_download", args=[ready.pk]) in fragment and "下载" in fragment


@pytest.mark.django_db
def test_owner_downloads_as_attachment_and_it_is_audited(personas, login):
    job = done_job(personas["office_city"])
    response = login("office_city").get(reverse("job_download", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;") and "filename*=utf-8''" in response[
        "Content-Disposition"]
    assert b"".join(response.streaming_content).decode() == "你好"
    assert AuditEvent.objects.get(action="export.download").actor_username == "office_city"


@pytest.mark.django_db
def test_only_the_owner_sees_or_downloads_a_job(personas, login):
    job = done_job(personas["handler_street_a1"])
    urls = [reverse(name, args=[job.pk]) for name in ("job", "job_status", "job_download")]
    for persona in ALL:
        for url in urls:
            status = login(persona).get(url).status_code
            assert status == (200 if persona == "handler_street_a1" else 404), f"{persona} {url}: {status}"
    refused = AuditEvent.objects.filter(action="access.refused")
    assert refused.count() == 3 * (len(ALL) - 1)
    assert {e.detail["status"] for e in refused} == {404} and {e.target for e in refused} == {f"core.job:{job.pk}"}
    # the list shows one's own jobs only
    assert "问候导出" in login("handler_street_a1").get(reverse("jobs")).content.decode()
    assert "问候导出" not in login("office_city").get(reverse("jobs")).content.decode()
    # anonymous: to the login page
    from django.test import Client

    assert Client().get(urls[2])["Location"].startswith("/login/")


@pytest.mark.django_db
def test_personal_page_links_to_my_exports(login):
    assert reverse("jobs") in login("grid_worker").get(reverse("me")).content.decode()


@pytest.mark.django_db
def test_cleanup_deletes_expired_files_and_fails_dead_jobs(personas, login):
    office = personas["office_city"]
    old, fresh = done_job(office), done_job(office)
    Job.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    path = old.result_file.path
    dead = Job.objects.create(owner=office, kind="k", title="t", status=JobStatus.RUNNING)
    Job.objects.filter(pk=dead.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    forgotten = Job.objects.create(owner=office, kind="k", title="t")
    Job.objects.filter(pk=forgotten.pk).update(created_at=timezone.now() - timedelta(days=2))
    ancient = Job.objects.create(owner=office, kind="k", title="t", status=JobStatus.FAILED,
                                 expires_at=timezone.now() - timedelta(days=40))
    report = jobs.cleanup()
    assert (report.files_deleted, report.stale_failed, report.rows_deleted) == (1, 2, 1)
    old.refresh_from_db()
    assert old.status == JobStatus.EXPIRED and not old.result_file
    import os

    assert not os.path.exists(path)
    assert Job.objects.get(pk=fresh.pk).status == JobStatus.DONE
    assert Job.objects.get(pk=dead.pk).status == JobStatus.FAILED and "中断" in Job.objects.get(pk=dead.pk).message
    assert Job.objects.get(pk=forgotten.pk).status == JobStatus.FAILED
    assert not Job.objects.filter(pk=ancient.pk).exists()
    # the owner of an expired export is told so
    response = login("office_city").get(reverse("job_download", args=[old.pk]), follow=True)
    assert "文件已过期删除，请重新导出。" in response.content.decode()


@pytest.mark.django_db
def test_sweep_runs_the_cleanup(personas, capsys):
    from django.core.management import call_command

    old = done_job(personas["office_city"])
    Job.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    call_command("sweep")
    assert "删除过期导出文件 1 个" in capsys.readouterr().out
    assert Job.objects.get(pk=old.pk).status == JobStatus.EXPIRED


@pytest.mark.django_db
def test_my_exports_list_runs_a_fixed_number_of_queries(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("office_city")

    def add(count):
        for _ in range(count):
            done_job(personas["office_city"])
            Job.objects.create(owner=personas["office_city"], kind="k", title="进行中的导出", status=JobStatus.RUNNING,
                               progress_done=1, progress_total=3)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("jobs")).status_code == 200
        return len(context.captured_queries)

    queries()  # the first request of a session also saves the session
    add(1)
    small = queries()
    add(10)
    assert queries() == small
