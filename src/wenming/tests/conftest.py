"""The whole-product tests' city (world.py), built once per test module.

Building it through the services takes about a second, too long to repeat for each of the
matrix's cases. The module's fixture builds it inside a transaction of its own and rolls that
back when the module is done; each test runs in a savepoint inside it (pytest-django's usual
``django_db`` test, nested), so nothing a test writes reaches the next test or another module."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from wenming.conftest import PASSWORD, PERSONAS, make_unit
from wenming.org.codes import make_credit_code
from wenming.org.models import Membership, Patronage, UnitKind, User

from . import world as world_module


def _org() -> dict:
    """The persona organisation of src/wenming/conftest.py (its ``org`` fixture is per test)."""
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


def _personas(org: dict) -> dict:
    users, encoded = {}, None
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
    Patronage.objects.create(patron_user=users["leader"], target_unit=org["street_b1"])
    return users


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            org = _org()
            world = world_module.build(org, _personas(org))
            # one session per persona for the whole module (a test's logout is rolled back with it)
            for username, user in world.personas.items():
                client = Client()
                client.force_login(user)
                world.sessions[username] = client.cookies[settings.SESSION_COOKIE_NAME].value
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def city(world, db):
    """The world, inside the test's own savepoint (``db`` nests it in the module's transaction)."""
    return world


@pytest.fixture
def client_for(city):
    """``client_for("office_city")`` → a logged-in client; ``client_for(None)`` → anonymous."""

    def _client(username: str | None) -> Client:
        client = Client()
        if username is not None:
            client.cookies[settings.SESSION_COOKIE_NAME] = city.sessions[username]
        return client

    return _client
