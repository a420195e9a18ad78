"""Intake on its fast path (docs/performance.md): the query count of one API report, the
per-process configuration cache and its invalidation, the problem-code counter (one
UPDATE … RETURNING, gap-free, also under concurrency), idempotency through the unique index, and
the plain-SQL reads checked against the ORM queries they replace."""

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wenming.cases import notify, timeline
from wenming.cases.intake import services as intake_services
from wenming.cases.intake import sql as intake_sql
from wenming.cases.models import (
    OPEN_STATES,
    CaseSettings,
    Category,
    Notification,
    Problem,
    ProblemCounter,
    ProblemEvent,
    State,
)
from wenming.cases.settings import config
from wenming.cases.settings import services as services_settings
from wenming.org.models import Membership, Role, Unit

YEAR = timezone.localtime().year


def post_problem(client, body: dict, key: str | None = None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(reverse("api:api_problems"), json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def body(org, category):
    return {"title": "公益广告破损", "category": category.code, "area": org["community_a1"].code,
            "address": "甲一社区东门", "latitude": "30.250000", "longitude": "120.160000"}


def closed_problem(org, category, days_ago: float, **fields) -> Problem:
    now = timezone.now()
    values = {"code": f"WT{YEAR - 1}-{Problem.objects.count() + 1:06d}", "title": "旧问题", "category": category,
              "source": "inspection", "area": org["community_a1"], "area_path": org["community_a1"].path,
              "address": "甲一社区东门", "latitude": "30.250000", "longitude": "120.160000",
              "state": State.CLOSED, "closed_at": now - timedelta(days=days_ago)}
    values.update(fields)
    return Problem.objects.create(**values)


# --- the request -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_one_api_intake_costs_twelve_statements(login, body):
    client = login("inspector")
    assert post_problem(client, body, "warm-up").status_code == 201  # fills this process's category cache
    with CaptureQueriesContext(connection) as ctx:
        response = post_problem(client, {**body, "address": "甲一社区西门"}, "k-2")
    assert response.status_code == 201
    statements = [q["sql"].split()[0].upper() for q in ctx.captured_queries]
    # session, user, config row, area, memberships (scope), office users, problems at the place;
    # then in the transaction: counter (UPDATE … RETURNING), problem, the chain heads (locked,
    # then moved on: cases.timeline), timeline event, notification
    work = [s for s in statements if s not in {"SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"}]
    assert work == ["SELECT"] * 7 + ["UPDATE", "INSERT", "SELECT", "UPDATE", "INSERT", "INSERT"], \
        ctx.captured_queries
    assert not any("django_session" in q["sql"] and not q["sql"].startswith("SELECT") for q in ctx.captured_queries)
    problem = Problem.objects.get(code=response.json()["code"])
    assert ProblemEvent.objects.filter(problem=problem, action="report").count() == 1
    assert list(Notification.objects.filter(problem=problem).values_list("user__username", flat=True)) == [
        "office_district_a"]


# --- the configuration cache -------------------------------------------------------------------

@pytest.mark.django_db
def test_recurrence_window_follows_the_offices_settings(personas, org, category, intake):
    old = closed_problem(org, category, days_ago=20)
    report = lambda: intake_services.problem_report(  # noqa: E731
        actor=personas["inspector"], intake=intake(area=org["community_a1"], address="甲一社区东门"))[0]
    services_settings.office_hours_save(actor=personas["office_city"], **_hours(recurrence_days=30))
    first = report()
    assert first.recurrence_of_id == old.pk  # closed 20 days ago, window 30 days: 反弹
    assert ProblemEvent.objects.filter(problem=old, action="recurred").count() == 1
    Problem.objects.filter(pk=first.pk).update(state=State.CLOSED, closed_at=timezone.now() - timedelta(days=20))
    services_settings.office_hours_save(actor=personas["office_city"], **_hours(recurrence_days=10))
    assert report().recurrence_of_id is None  # the same place, but outside the new window


def _hours(**overrides):
    from datetime import time

    values = {"morning_start": time(8, 30), "morning_end": time(12), "afternoon_start": time(14),
              "afternoon_end": time(17, 30), "recurrence_days": 90, "duplicate_radius_m": 50}
    values.update(overrides)
    return values


@pytest.mark.django_db
def test_category_cache_is_invalidated_by_a_change_in_any_process(login, personas, body, category):
    client = login("inspector")
    assert post_problem(client, body).status_code == 201
    token = CaseSettings.objects.get().config_token
    stale = config._categories  # what another server process holds
    assert stale[0] == token and category.code in stale[1]
    # the city office disables the category …
    services_settings.category_save(actor=personas["office_city"], code=category.code, name=category.name,
                                    parent=category.parent, is_active=False)
    assert CaseSettings.objects.get().config_token != token
    # … a process that still caches the old categories sees the new token and reloads them
    config._categories = stale
    response = post_problem(client, body)
    assert response.status_code == 400 and response.json()["errors"] == {"category": ["类别编码无效"]}
    # a new category is usable at once
    services_settings.category_save(actor=personas["office_city"], code="0299", name="新类别",
                                    parent=category.parent)
    assert post_problem(client, {**body, "category": "0299"}).status_code == 201
    # saving the settings row (office hours) also changes the token
    token = CaseSettings.objects.get().config_token
    services_settings.office_hours_save(actor=personas["office_city"], **_hours())
    assert CaseSettings.objects.get().config_token != token


@pytest.mark.django_db
def test_active_category_returns_fresh_instances(category):
    first, second = config.active_category(category.code), config.active_category(category.code)
    assert first == second == category and first is not second
    assert (first.code, first.name, first.parent_id, first.is_active) == (
        category.code, category.name, category.parent_id, True)
    assert first.parent == category.parent
    assert config.active_category("nope") is None


@pytest.mark.django_db
def test_a_missing_settings_row_is_created(category):
    CaseSettings.objects.all().delete()
    snapshot = config.snapshot()
    row = CaseSettings.objects.get()
    assert (snapshot.recurrence_days, snapshot.duplicate_radius_m) == (90, 50)
    assert config.active_category(category.code) == category
    assert row.config_token > 0


# --- the problem-code counter ------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("returning", [True, False], ids=["update-returning", "select-for-update"])
def test_codes_are_consecutive_and_a_rollback_gives_the_number_back(monkeypatch, returning):
    monkeypatch.setattr(intake_services, "_update_returning", lambda: returning)
    assert not ProblemCounter.objects.filter(year=1999).exists()
    with transaction.atomic():
        assert intake_services.next_code(1999) == "WT1999-000001"  # the year's first code creates its row
        assert intake_services.next_code(1999) == "WT1999-000002"
        assert intake_services.reserve_codes(1999, 3) == ["WT1999-000003", "WT1999-000004", "WT1999-000005"]
    with pytest.raises(RuntimeError), transaction.atomic():
        assert intake_services.next_code(1999) == "WT1999-000006"
        raise RuntimeError("the report failed")
    with transaction.atomic():
        assert intake_services.next_code(1999) == "WT1999-000006"
    assert ProblemCounter.objects.get(year=1999).last == 6


@pytest.mark.django_db
def test_codes_are_taken_inside_a_transaction_only(monkeypatch):
    # pytest-django wraps the test in a transaction: leave it for this check
    monkeypatch.setattr(transaction.get_connection(), "in_atomic_block", False)
    with pytest.raises(TransactionManagementError):
        intake_services.next_code(1999)


def test_update_returning_is_used_where_the_database_has_it():
    import sqlite3

    expected = connection.vendor == "postgresql" or sqlite3.sqlite_version_info >= (3, 35)
    assert intake_services._update_returning() is expected


@pytest.mark.django_db
def test_a_repeated_key_creates_nothing_and_uses_no_number(personas, intake):
    inspector = personas["inspector"]
    first, created = intake_services.problem_report(actor=inspector, intake=intake(), idempotency_key="k-1")
    again, created_again = intake_services.problem_report(actor=inspector, intake=intake(), idempotency_key="k-1")
    # a retry whose body no longer validates still gets the first answer
    invalid, created_invalid = intake_services.problem_report(actor=inspector, intake=intake(title=" "),
                                                       idempotency_key="k-1")
    assert created and not created_again and not created_invalid and first.pk == again.pk == invalid.pk
    assert (again.category.code, again.area.code) == (first.category.code, first.area.code)
    # the key is per reporter: another user's "k-1" is his own problem
    other, other_created = intake_services.problem_report(actor=personas["handler_street_a1"], intake=intake(),
                                                   idempotency_key="k-1")
    assert other_created and other.pk != first.pk
    codes = sorted(Problem.objects.values_list("code", flat=True))
    assert codes == [f"WT{YEAR}-000001", f"WT{YEAR}-000002"]  # the retries took no number
    assert ProblemEvent.objects.filter(action="report").count() == 2
    assert Notification.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_get_gap_free_unique_codes(personas, intake):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the in-memory test database has no locking between connections")
    threads, per_thread, errors, results = 4, 5, [], []
    lock = threading.Lock()
    users = [personas[name] for name in ("inspector", "office_district_a", "office_city", "handler_street_a1")]

    def work(k: int) -> None:
        try:
            for n in range(per_thread):
                # every thread also retries the key of thread 0 for the same reporter
                actor, key = (users[0], f"shared-{n}") if n % 2 else (users[k], f"t{k}-{n}")
                problem, created = intake_services.problem_report(actor=actor, intake=intake(address=f"路{k}-{n}号"),
                                                           idempotency_key=key)
                with lock:
                    results.append((key, problem.code, created))
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    created = [code for _, code, was_created in results if was_created]
    shared_keys = {key for key, _, _ in results if key.startswith("shared-")}
    expected = threads * (per_thread - len(shared_keys)) + len(shared_keys)
    assert len(created) == len(set(created)) == Problem.objects.count() == expected
    assert sorted(created) == [f"WT{YEAR}-{n:06d}" for n in range(1, expected + 1)]
    assert ProblemCounter.objects.get(year=YEAR).last == expected
    # every caller of a shared key got the one problem created for it
    by_key = {}
    for key, code, _ in results:
        by_key.setdefault(key, set()).add(code)
    assert all(len(codes) == 1 for codes in by_key.values())


# --- plain SQL against the ORM -----------------------------------------------------------------

@pytest.mark.django_db
def test_place_candidates_match_the_orm_query(org, category):
    other = Category.objects.exclude(pk=category.pk).filter(parent__isnull=False).first()
    made = [closed_problem(org, category, days_ago=d) for d in (1, 30, 200)]
    made += [closed_problem(org, category, days_ago=0, state=s, closed_at=None, latitude=None, longitude=None)
             for s in OPEN_STATES + [State.REJECTED, State.MERGED]]
    made.append(closed_problem(org, other, days_ago=1))
    made.append(closed_problem(org, category, days_ago=1, area=org["grid_a1"], area_path=org["grid_a1"].path))
    made.append(closed_problem(org, category, days_ago=1, latitude="30.260000"))  # about 1.1 km north
    made.append(closed_problem(org, category, days_ago=1, latitude=None, longitude=None,
                               area=org["street_a2"], area_path=org["street_a2"].path))  # same address, elsewhere
    since = timezone.now() - timedelta(days=90)
    box = (Decimal("30.249000"), Decimal("30.251000"), Decimal("120.159000"), Decimal("120.161000"))
    scope = org["community_a1"].path
    expected = list(Problem.objects.filter(category=category)
                    .filter(Q(state__in=OPEN_STATES) | Q(state=State.CLOSED, closed_at__gte=since))
                    .filter(Q(latitude__range=box[:2], longitude__range=box[2:])
                            | Q(address="甲一社区东门", area_path__startswith=scope))
                    .order_by("-id").values_list("pk", "code", "state", "latitude", "longitude", "address",
                                                 "area_path")[:100])
    got = intake_sql.place_candidates(category.pk, since, box=box, address="甲一社区东门", scope_path=scope)
    # two closed in the window, the open ones, the grid's (its path is under the community's), and
    # the one 1.1 km north by its address (a candidate: at_place then compares the coordinates)
    assert len(expected) == 4 + len(OPEN_STATES)
    plain = lambda rows: [(r[0], r[1], r[2], r[5], r[6]) for r in rows]  # noqa: E731
    assert plain(got) == plain(expected)
    for g, e in zip(got, expected, strict=True):
        assert (g[3] is None, g[4] is None) == (e[3] is None, e[4] is None)
        if g[3] is not None:
            assert abs(float(g[3]) - float(e[3])) < 1e-9 and abs(float(g[4]) - float(e[4])) < 1e-9
    assert intake_sql.place_candidates(category.pk, since, box=box, address="甲一社区东门", scope_path=scope,
                                       limit=3) == got[:3]
    by_box = intake_sql.place_candidates(category.pk, since, box=box, address="", scope_path=scope)
    assert {r[0] for r in by_box} == {r[0] for r in got if r[3] is not None and box[0] <= r[3] <= box[1]}
    assert intake_sql.place_candidates(category.pk, since, box=None, address="", scope_path=scope) == []


@pytest.mark.django_db
def test_office_memberships_match_the_orm_query(personas, org):
    ids = [org["city"].pk, org["district_a"].pk, org["street_a1"].pk]
    orm = lambda: sorted(Membership.objects.filter(  # noqa: E731
        unit_id__in=ids, role=Role.OFFICE, is_active=True, user__is_active=True).values_list("user_id", "unit_id"))
    assert sorted(intake_sql.office_memberships(ids)) == orm() == sorted(
        [(personas["office_city"].pk, org["city"].pk), (personas["office_district_a"].pk, org["district_a"].pk)])
    personas["office_district_a"].is_active = False
    personas["office_district_a"].save()
    assert sorted(intake_sql.office_memberships(ids)) == orm() == [(personas["office_city"].pk, org["city"].pk)]
    assert notify.nearest_office_users(org["street_a1"]) == [personas["office_city"].pk]
    assert intake_sql.office_memberships([]) == []


@pytest.mark.django_db
def test_active_unit_matches_the_orm(org):
    unit = intake_sql.active_unit(org["community_a1"].code)
    orm = Unit.objects.get(pk=org["community_a1"].pk)
    assert unit is not None and not unit._state.adding and unit._state.db == "default"
    for field in Unit._meta.concrete_fields:
        assert getattr(unit, field.attname) == getattr(orm, field.attname), field.name
    assert unit.is_active is True and unit.created_at.tzinfo is not None
    Unit.objects.filter(pk=unit.pk).update(is_active=False)
    assert intake_sql.active_unit(unit.code) is None and intake_sql.active_unit("nope") is None


@pytest.mark.django_db
def test_insert_stores_what_save_stores(personas, org, category):
    def make(code):
        return Problem(code=code, title="标题", description="描述", category=category, severity="urgent",
                       source="grid", area=org["grid_a1"], area_path=org["grid_a1"].path, address="地址",
                       latitude=Decimal("30.123456"), longitude=Decimal("120.654321"), reporter=personas["grid_worker"],
                       reporter_name="吴小燕", created_by=personas["grid_worker"], idempotency_key="k:1" + code)

    fast, slow = make("WT2000-000001"), make("WT2000-000002")
    intake_sql.insert(fast)
    slow.save()
    assert fast.pk and not fast._state.adding and fast.created_at and fast.updated_at
    a, b = Problem.objects.get(pk=fast.pk), Problem.objects.get(pk=slow.pk)
    for field in Problem._meta.concrete_fields:
        if field.name not in {"id", "code", "idempotency_key", "created_at", "updated_at"}:
            assert getattr(a, field.attname) == getattr(b, field.attname), field.name
    assert a.created_at == fast.created_at and a.latitude == Decimal("30.123456")
    event = ProblemEvent(problem=a, action="report", actor=personas["grid_worker"], actor_role="grid_worker",
                         at=timezone.now(), to_state="reported", data={"source": "grid", "中文": [1, 2]})
    timeline.link([event])  # what events.record does before inserting
    intake_sql.insert(event)
    assert ProblemEvent.objects.get(pk=event.pk).data == {"source": "grid", "中文": [1, 2]}
    users = [personas[name] for name in ("office_city", "office_district_a", "leader")]
    intake_sql.insert_many([Notification(user=u, problem=a, title="标题", body="正文", url="/x/") for u in users])
    rows = Notification.objects.filter(problem=a).order_by("user_id")
    assert [(n.user_id, n.title, n.read_at) for n in rows] == [(u.pk, "标题", None) for u in sorted(users, key=lambda u: u.pk)]
    assert all(n.created_at for n in rows)


@pytest.mark.django_db
def test_insert_goes_through_save_when_someone_listens(org, category):
    from django.db.models.signals import post_save

    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append((instance.code, created))

    post_save.connect(listener, sender=Problem)
    try:
        problem = Problem(code="WT2000-000009", title="t", category=category, source="grid", area=org["grid_a1"],
                          area_path=org["grid_a1"].path, address="a")
        intake_sql.insert(problem)
    finally:
        post_save.disconnect(listener, sender=Problem)
    assert heard == [("WT2000-000009", True)] and Problem.objects.filter(code="WT2000-000009").exists()
