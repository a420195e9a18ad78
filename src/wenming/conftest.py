"""Shared test fixtures: a small organisation and the personas of DESIGN.md §4.

    city 测试市 (330100)
    ├── 甲区 district A (330102) ── 甲一街道 street A1 ── 甲一社区 ── 甲一社区第1网格
    │                            └─ 甲二街道 street A2
    ├── 乙区 district B (330103) ── 乙一街道 street B1
    └── 市城管局 (department)
"""

from __future__ import annotations

import os

import pytest
from django.test import Client

from wenming.org.codes import make_credit_code
from wenming.org.models import Membership, Patronage, Role, Unit, UnitKind, User
from wenming.org.services import place_unit

PASSWORD = "Persona2026pass"

# Playwright's sync API runs an event loop in the test thread; the live server's ORM calls
# happen in another thread, but fixtures touching the DB from the test thread need this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: a figure cached under a unit's path by one test (the
    dashboard's map frame, its worst items) is never read by another whose database reuses the ids."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _migration_seeds(request):
    """What the migrations seed (the point types, the problem categories and 整改设置 defaults) is there in every
    test: a transactional test starts after another one's flush emptied the tables, so it is seeded again."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker is not None and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
        from wenming.cases.settings.defaults import load as load_case_defaults
        from wenming.standards.defaults import load as load_point_types

        load_point_types()
        load_case_defaults()
    yield


@pytest.fixture(scope="session", autouse=True)
def _flush_lifts_append_only_guards():
    """A transactional test ends with Django's flush (DELETE on SQLite, TRUNCATE on PostgreSQL),
    which the append-only tables refuse (core.appendonly): in the test database only, the flush
    lifts their guards for its own transaction."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from wenming.core import appendonly

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with appendonly.lifted(using=self.connection.alias):
            original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = original


def make_unit(name: str, kind: str, code: str, parent: Unit | None = None, population: int = 0) -> Unit:
    unit = Unit.objects.create(name=name, kind=kind, code=code, parent=parent, population=population,
                               contact_name="联系人", contact_phone="13912345678")
    place_unit(unit)
    return unit


def build_org() -> dict[str, Unit]:
    """The persona organisation (DESIGN.md §4): a city, two districts, streets, a community, a grid
    and a department. Used per test by the ``org`` fixture and once per module by tests/."""
    city = make_unit("测试市", UnitKind.CITY, "330100", population=5_000_000)
    district_a = make_unit("甲区", UnitKind.DISTRICT, "330102", city, 600_000)
    district_b = make_unit("乙区", UnitKind.DISTRICT, "330103", city, 500_000)
    street_a1 = make_unit("甲一街道", UnitKind.STREET, "330102001", district_a, 60_000)
    street_a2 = make_unit("甲二街道", UnitKind.STREET, "330102002", district_a, 50_000)
    street_b1 = make_unit("乙一街道", UnitKind.STREET, "330103001", district_b, 40_000)
    community_a1 = make_unit("甲一社区", UnitKind.COMMUNITY, "330102001001", street_a1, 8_000)
    grid_a1 = make_unit("甲一社区第1网格", UnitKind.GRID, "330102001001001", community_a1, 600)
    department = make_unit("市城管局", UnitKind.DEPARTMENT, make_credit_code("11330100MB0000001"), city)
    return {
        "city": city, "district_a": district_a, "district_b": district_b, "street_a1": street_a1,
        "street_a2": street_a2, "street_b1": street_b1, "community_a1": community_a1, "grid_a1": grid_a1,
        "department": department,
    }


@pytest.fixture
def org(db) -> dict[str, Unit]:
    return build_org()


PERSONAS = {
    # username: (unit key, role, full name)
    "office_city": ("city", Role.OFFICE, "张建国"),
    "office_district_a": ("district_a", Role.OFFICE, "李红梅"),
    "handler_street_a1": ("street_a1", Role.HANDLER, "王志强"),
    "handler_street_a2": ("street_a2", Role.HANDLER, "赵丽娟"),
    "inspector": ("city", Role.INSPECTOR, "孙浩"),
    "leader": ("district_a", Role.LEADER, "周海涛"),
    "grid_worker": ("grid_a1", Role.GRID_WORKER, "吴小燕"),
    "citizen": ("city", Role.CITIZEN, "郑市民"),
    "admin": ("city", Role.ADMIN, "钱运维"),
    "outsider": (None, None, "陌生人"),
}


def build_personas(org: dict[str, Unit]) -> dict[str, User]:
    """One account per persona with its membership; the district-A leader also 包保 street B1."""
    users = {}
    encoded = None
    for username, (unit_key, role, full_name) in PERSONAS.items():
        user = User(username=username, full_name=full_name, phone="13800001234", post="测试职务")
        if encoded is None:
            user.set_password(PASSWORD)
            encoded = user.password
        user.password = encoded
        user.save()
        if unit_key:
            Membership.objects.create(user=user, unit=org[unit_key], role=role)
        users[username] = user
    # the district-A leader is also patron (包保) of street B1 in the other district
    Patronage.objects.create(patron_user=users["leader"], target_unit=org["street_b1"])
    return users


@pytest.fixture
def personas(org) -> dict[str, User]:
    return build_personas(org)


@pytest.fixture
def login(personas):
    """``login("office_city")`` → a test client logged in as that persona."""

    def _login(username: str) -> Client:
        client = Client()
        client.force_login(personas[username])
        return client

    return _login
