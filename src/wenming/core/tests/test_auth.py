"""Login, lockout, session timeout, disabled accounts and forced password change."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wenming.conftest import PASSWORD
from wenming.core.models import AuditEvent
from wenming.org import services


def post_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_login_page_is_chinese(client):
    page = client.get(reverse("login")).content.decode()
    assert "文明城市创建管理平台" in page and "用户名" in page and "密码" in page


@pytest.mark.django_db
def test_login_success_and_failure_are_audited(client, personas):
    response = post_login(client, "handler_street_a1", "wrong-password-1")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's zh-hans message
    response = post_login(client, "handler_street_a1", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    events = list(AuditEvent.objects.filter(action="auth.login").order_by("id").values_list("actor_username", "result"))
    assert events == [("handler_street_a1", "failure"), ("handler_street_a1", "success")]
    assert AuditEvent.objects.filter(action="auth.login").first().ip == "127.0.0.1"


@pytest.mark.django_db
def test_lockout_after_repeated_failures(client, personas, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert post_login(client, "office_city", "not-the-password9").status_code == 200
    response = post_login(client, "office_city", "not-the-password9")
    assert response.status_code == 429
    assert "账号已临时锁定" in response.content.decode()
    # even the right password is refused while locked, from any client
    response = post_login(Client(), "office_city", PASSWORD)
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="auth.lockout", actor_username="office_city").exists()
    # other accounts are not affected
    assert post_login(Client(), "office_district_a", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_lockout_lifted_by_office_reset(client, personas):
    for _ in range(5):
        post_login(client, "handler_street_a1", "not-the-password9")
    assert post_login(Client(), "handler_street_a1", PASSWORD).status_code == 429
    temporary = services.account_reset_password(actor=personas["office_city"], user=personas["handler_street_a1"])
    assert post_login(Client(), "handler_street_a1", temporary).status_code == 302


@pytest.mark.django_db
def test_disabled_account_session_ends(personas):
    client = Client()
    assert post_login(client, "handler_street_a1", PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    services.account_set_active(actor=personas["office_district_a"], user=personas["handler_street_a1"], active=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    # and he cannot log in again
    assert post_login(Client(), "handler_street_a1", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_password_reset_ends_existing_sessions(personas):
    client = Client()
    post_login(client, "handler_street_a2", PASSWORD)
    services.account_reset_password(actor=personas["office_city"], user=personas["handler_street_a2"])
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_session_inactivity_timeout(personas, settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # SessionIdleMiddleware saves it instead
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60 == 30 * 60
    client = Client()
    post_login(client, "office_city", PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    # a request pushes the expiry forward by the idle time …
    session = Session.objects.get()
    assert session.expire_date > timezone.now() + timedelta(minutes=29)
    # … and once the idle time has passed without a request the session is gone
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.fixture
def clock(monkeypatch):
    """Moves the time the session machinery sees (Django's ``timezone.now`` and the idle
    middleware's ``time.time``) forward by ``clock(seconds)``."""
    import time as time_module

    from wenming.core import middleware

    real_now, real_time, offset = timezone.now, time_module.time, [0.0]
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=offset[0]))
    fake_time = type("FakeTime", (), {"time": staticmethod(lambda: real_time() + offset[0])})
    monkeypatch.setattr(middleware, "time", fake_time)

    def move(seconds: float) -> None:
        offset[0] = seconds

    return move


def _session_writes(client, url) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url).status_code
    return status, [q["sql"] for q in ctx.captured_queries
                    if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")]


@pytest.mark.django_db
def test_session_is_saved_at_most_once_a_minute(personas, clock):
    client = Client()
    clock(0)
    post_login(client, "office_city", PASSWORD)
    url = reverse("home")
    first_expiry = Session.objects.get().expire_date  # the login saved the session, marked
    status, writes = _session_writes(client, url)
    assert status == 200 and writes == []
    clock(30)
    status, writes = _session_writes(client, url)
    assert status == 200 and writes == []  # no write within the minute
    assert Session.objects.get().expire_date == first_expiry
    clock(61)
    status, writes = _session_writes(client, url)
    assert status == 200 and len(writes) == 1  # a minute later the expiry moves forward again
    assert Session.objects.get().expire_date >= first_expiry + timedelta(seconds=60)
    # a request without a session cookie reads and writes no session at all
    status, writes = _session_writes(Client(), reverse("login"))
    assert status == 200 and writes == [] and Session.objects.count() == 1


@pytest.mark.django_db
def test_activity_keeps_the_session_and_idleness_ends_it(personas, clock):
    client = Client()
    clock(0)
    post_login(client, "office_city", PASSWORD)
    url = reverse("home")
    # a user active every 20 minutes stays logged in well past the idle time
    for minute in (0, 20, 40, 60, 60.5):
        clock(minute * 60)
        assert client.get(url).status_code == 200, minute
    # the last save was at minute 60 (the request at 60.5 wrote nothing): 30 idle minutes after it
    # the session is over, whatever the last request
    clock(60 * 60 + 30 * 60 - 5)
    assert client.get(url).status_code == 200
    clock(60 * 60 + 30 * 60 - 5 + 30 * 60 + 1)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()


@pytest.mark.django_db
def test_office_set_password_must_be_changed(personas):
    temporary = services.account_reset_password(actor=personas["office_city"], user=personas["inspector"])
    client = Client()
    assert post_login(client, "inspector", temporary).status_code == 302
    response = client.get(reverse("org:tree"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    # a weak new password is refused with Chinese messages
    response = client.post(reverse("password_change"), {"old_password": temporary, "new_password1": "abcdefgh",
                                                        "new_password2": "abcdefgh"})
    page = response.content.decode()
    assert response.status_code == 200 and "密码必须同时包含字母和数字" in page
    response = client.post(reverse("password_change"), {"old_password": temporary, "new_password1": "Xiaoyu2026ok",
                                                        "new_password2": "Xiaoyu2026ok"})
    assert response.status_code == 302
    assert client.get(reverse("org:tree")).status_code == 200
    personas["inspector"].refresh_from_db()
    assert personas["inspector"].must_change_password is False
    assert AuditEvent.objects.filter(action="auth.password_change", actor_username="inspector").count() == 1


@pytest.mark.django_db
def test_passwords_hashed_with_argon2(personas):
    assert personas["office_city"].password.startswith("argon2$")


@pytest.mark.django_db
def test_locked_accounts_listed_for_office(client, personas, login):
    for _ in range(5):
        post_login(client, "handler_street_a1", "not-the-password9")
    office = login("office_district_a")
    attention = {item["label"]: item["count"] for item in office.get(reverse("home")).context["attention"]}
    assert attention["被锁定的账号"] == 1
    listed = [u.username for u in office.get(reverse("org:accounts") + "?locked=1").context["page"]]
    assert listed == ["handler_street_a1"]


@pytest.mark.django_db
def test_lockout_page_names_minutes(client, personas):
    for _ in range(5):
        response = post_login(client, "office_city", "not-the-password9")
    assert "请 15 分钟后再试" in response.content.decode()


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_slowed(client, personas, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 6
    for index in range(6):  # six different names, one failure each: no account is locked
        assert post_login(client, f"guess{index}", "Spring2026x").status_code == 200
    response = post_login(client, "office_city", PASSWORD)
    assert response.status_code == 429 and "登录暂停" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.ip_throttled").count() == 1
    # another address is not affected
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert post_login(other, "office_city", PASSWORD).status_code == 302
