"""The small demo's problems through the services: every state and branch, consistent timelines, photos,
notifications and the public list, and a reset. The demo is built once for the module (about a minute) inside
a transaction rolled back at its end; each test runs in a savepoint inside it (the reset test, which deletes the
photos' files, comes last). Its own module: tests that build an organisation of their own cannot run beside it."""

from datetime import timedelta

import pytest
from django.db.models import Count

from wenming.cases.models import (
    Escalation,
    NoticeKind,
    Notification,
    PhotoPhase,
    Problem,
    ProblemCounter,
    ProblemEvent,
    ProblemPhoto,
    ProblemRequest,
    RequestKind,
    RequestStatus,
    State,
    SupervisionNotice,
)
from wenming.core.models import Photo
from wenming.demo.build import build_demo

from .test_demo_cases import assert_consistent, timezone_year

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    """The small demo, built once for the module inside a transaction rolled back at its end (each test runs
    in a savepoint inside it; the reset test, which deletes the photos' files, comes last)."""
    from django.db import transaction
    from django.test import override_settings

    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_demo(scale="small", seed=2026, scoring=False, plans=False), media
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def small(built, db, settings):
    result, media = built
    settings.MEDIA_ROOT = media   # where the module's build wrote the photos
    return result


def test_small_demo_has_every_state_and_branch(small):
    result = small.cases
    # (the problems the demo's inspections raised are checked in test_demo_places.py)
    states = dict(Problem.objects.filter(item_results__isnull=True).values_list("state").annotate(n=Count("id"))
                  .order_by())
    assert set(states) == set(State.values), states
    assert 100 <= sum(states.values()) <= 150
    assert result.problems == sum(states.values()) and result.states == states
    assert states[State.CLOSED] > sum(states.values()) / 3  # most of the history is done

    # every request kind, decided both ways and still pending
    requests = set(ProblemRequest.objects.values_list("kind", "status"))
    for kind in RequestKind.values:
        for status in RequestStatus.values:
            assert (kind, status) in requests, (kind, status)
    pending = ProblemRequest.objects.filter(status=RequestStatus.PENDING).select_related("problem")
    assert {r.problem.state for r in pending if r.kind == RequestKind.RETURN} == {State.ASSIGNED}
    assert {r.problem.state for r in pending if r.kind != RequestKind.RETURN} == {State.RECTIFYING}

    # 督办: 督办单 and 督办函, numbered per issuing office and year, from the real sweeper
    kinds = set(SupervisionNotice.objects.values_list("kind", flat=True))
    assert kinds == {NoticeKind.NOTICE, NoticeKind.LETTER}
    for notice in SupervisionNotice.objects.all():
        # 文号: the issuing office's 机关代字, the kind's word, 〔year〕 and the number (GB/T 9704)
        word = "督函" if notice.kind == NoticeKind.LETTER else "督"
        assert notice.number == f"{notice.issuer.doc_code}{word}〔{notice.year}〕{notice.seq}号"
        assert notice.issuer.doc_code and notice.unit.name in notice.body
    assert Problem.objects.filter(escalation=Escalation.BULLETIN, in_bulletin=True).exists()
    assert Problem.objects.filter(state=State.CLOSED, closed_on_time=False, supervision_count__gt=0).exists()
    assert Problem.objects.filter(is_overdue=True, state__in=[State.ASSIGNED, State.RECTIFYING]).exists()

    # 退回重改 then 销号; recurrences both ways; merged duplicates
    assert Problem.objects.filter(state=State.CLOSED, rework_count__gt=0).exists()
    recurrences = Problem.objects.filter(recurrence_of__isnull=False).select_related("recurrence_of")
    assert recurrences.count() >= 2
    assert all(r.recurrence_of.state == State.CLOSED for r in recurrences)
    assert ProblemEvent.objects.filter(action="recur").exists()  # a verifier's 反弹 action
    assert ProblemEvent.objects.filter(action="recurred").exists()  # found on intake
    merged = Problem.objects.filter(state=State.MERGED)
    assert merged.exists() and all(p.merged_into_id for p in merged)
    assert ProblemEvent.objects.filter(action="merged_in").count() == merged.count()
    kept = Problem.objects.get(pk=merged.first().merged_into_id)
    assert kept.followers.exists()

    # returns, coordination (reassign, escalate, refuse), extensions went through the services
    actions = set(ProblemEvent.objects.values_list("action", flat=True))
    assert {"accept", "assign", "reject", "merge", "sign", "request_return", "approve_return", "refuse_return",
            "request_coordination", "reassign", "escalate", "refuse_coordination", "request_extension",
            "approve_extension", "refuse_extension", "submit", "verify_pass", "verify_fail", "recur",
            "warn", "overdue", "notice", "letter", "bulletin"} <= actions


def test_small_demo_timelines_are_consistent(small):
    from django.utils import timezone

    now = timezone.now()
    for problem in Problem.objects.select_related("merged_into"):
        assert_consistent(problem, now)
    # the history covers weeks, and it was made by the persona accounts
    first = Problem.objects.order_by("created_at").first().created_at
    assert now - first > timedelta(days=25)
    reporters = set(Problem.objects.values_list("reporter__username", flat=True))
    assert {"inspector", "citizen", "grid_worker", "office_city", "office_district_a", "leader"} <= reporters
    actors = set(ProblemEvent.objects.values_list("actor__username", flat=True))
    assert {"handler_street_a1", "office_district_a", "inspector", "handler_jjzd"} & actors
    assert "office_district_a" in actors and "inspector" in actors
    # codes follow the order the problems came in
    ordered = list(Problem.objects.order_by("created_at", "id").values_list("code", flat=True))
    assert ordered == sorted(ordered)
    counter = ProblemCounter.objects.get(year=timezone_year(Problem.objects.order_by("-created_at").first()))
    assert counter.last >= 1

def test_small_demo_photos_notifications_and_public_list(small, settings):
    before = ProblemPhoto.objects.filter(phase=PhotoPhase.BEFORE).count()
    after = ProblemPhoto.objects.filter(phase=PhotoPhase.AFTER).count()
    assert before >= 20 and after >= Problem.objects.filter(state=State.CLOSED).count()
    photo = Photo.objects.order_by("id").first()
    assert (photo.width, photo.height) == (320, 240)
    assert (settings.MEDIA_ROOT / photo.image.name).exists()
    # closed problems' photos are public (结单公示)
    closed_photos = Photo.objects.filter(pk__in=ProblemPhoto.objects.filter(problem__state=State.CLOSED)
                                         .values("photo_id"))
    assert closed_photos.exists() and not closed_photos.filter(is_public=False).exists()
    # the personas have something in their inbox
    for username in ["handler_street_a1", "office_district_a", "inspector"]:
        assert Notification.objects.filter(user__username=username).exists(), username


def test_reset_removes_problems_and_their_photos(small, settings):
    files = {Photo.objects.first().image.name}
    count = Problem.objects.count()
    result = build_demo(scale="small", seed=2026, reset=True, scoring=False, plans=False)
    assert Problem.objects.count() == count == result.cases.problems + result.inspections.problems
    assert ProblemCounter.objects.get().last == count  # the codes start again at 1
    assert not (settings.MEDIA_ROOT / next(iter(files))).exists()
    assert Photo.objects.count() == ProblemPhoto.objects.count()


