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

from wenming.conftest import build_org, build_personas

from . import world as world_module


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            org = build_org()
            world = world_module.build(org, build_personas(org))
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
