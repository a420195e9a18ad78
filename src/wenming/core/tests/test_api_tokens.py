"""API tokens (core/tokens.py): created and revoked by the city office only, stored as a hash,
shown once, audited; refused when unknown, revoked or expired. How a token acts on problems is
tested with the problem API (cases/tests/test_api_tokens.py)."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from wenming.core import services_tokens, tokens
from wenming.core.errors import TokenInvalid, ValidationFailed
from wenming.core.models import ApiToken, AuditEvent
from wenming.org.models import Membership

URL = "/api-tokens/"
FORM = {"name": "12345热线", "role": "handler", "permissions": ["problems.read", "problems.report"], "days": "30"}


@pytest.fixture
def form(org):
    return {**FORM, "unit": org["street_a1"].code}


@pytest.mark.django_db
def test_the_city_office_creates_a_token_shown_once_and_kept_as_a_hash(login, org, form):
    office = login("office_city")
    page = office.post(URL, form)
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get()
    secret = page.context["secret"]
    assert secret.startswith("wm_") and len(secret) == 46 and secret in page.content.decode()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in str(
        ApiToken.objects.values_list().get())
    assert (token.name, token.unit, token.role, token.permissions) == (
        "12345热线", org["street_a1"], "handler", ["problems.read", "problems.report"])
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    # its own service account: one membership, the token's role at the token's unit, no password
    account = token.user
    assert account.username.startswith("api-") and not account.has_usable_password()
    assert list(Membership.objects.filter(user=account).values_list("unit__code", "role")) == [
        (org["street_a1"].code, "handler")]
    created = AuditEvent.objects.get(action="api_token.create")
    assert created.actor_username == "office_city" and created.unit_path == org["street_a1"].path
    assert created.detail["permissions"] == ["problems.read", "problems.report"] and secret not in created.detail_json
    # the list shows the token's beginning, never the secret again
    listed = office.get(URL).content.decode()
    assert "12345热线" in listed and token.prefix in listed and secret not in listed


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["office_district_a", "handler_street_a1", "inspector", "leader", "grid_worker",
                                     "citizen", "admin", "outsider"])
def test_nobody_else_sees_creates_or_revokes_tokens(login, personas, org, form, persona):
    token, _ = services_tokens.token_create(actor=personas["office_city"], name="网格平台", unit=org["street_a1"],
                                            role="grid_worker", permissions=["problems.read"])
    client = login(persona)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form).status_code == 403
    assert client.post(f"{URL}{token.pk}/revoke/").status_code == 403
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None
    refused = AuditEvent.objects.filter(action="access.refused", actor_username=persona).count()
    assert refused == 3


@pytest.mark.django_db
def test_the_form_refuses_bad_input_in_chinese(login, org, form):
    office = login("office_city")
    cases = [({"name": ""}, "这个字段是必填项"), ({"unit": "999"}, "单位编码无效"), ({"permissions": []}, "这个字段是必填项"),
             ({"permissions": ["problems.fly"]}, "不在可用的选项中"), ({"role": "admin"}, "不在可用的选项中"),
             ({"name": "热\x00线"}, "空字符"), ({"days": "0"}, "1"), ({"days": "99999"}, "3650")]
    for change, message in cases:
        page = office.post(URL, {**form, **change}).content.decode()
        assert message in page, change
    assert ApiToken.objects.count() == 0 and not AuditEvent.objects.filter(action="api_token.create").exists()


@pytest.mark.django_db
def test_the_service_checks_what_the_form_cannot(personas, org):
    office = personas["office_city"]
    with pytest.raises(ValidationFailed) as refused:
        services_tokens.token_create(actor=office, name="x", unit=org["street_a1"], role="handler",
                                     permissions=["problems.fly"])
    assert refused.value.errors == {"permissions": ["无效的操作：problems.fly"]}
    org["street_a2"].is_active = False
    org["street_a2"].save()
    with pytest.raises(ValidationFailed):
        services_tokens.token_create(actor=office, name="x", unit=org["street_a2"], role="handler",
                                     permissions=["problems.read"])
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_revoking_ends_the_token_for_good(login, personas, org):
    token, secret = services_tokens.token_create(actor=personas["office_city"], name="热线", unit=org["street_a1"],
                                                 role="handler", permissions=["problems.read"])
    assert tokens.authenticate(secret).pk == token.pk
    response = login("office_city").post(f"{URL}{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    token.user.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == personas["office_city"]
    assert not token.user.is_active
    with pytest.raises(TokenInvalid, match="已被吊销"):
        tokens.authenticate(secret)
    # revoking again changes nothing and writes no second line
    login("office_city").post(f"{URL}{token.pk}/revoke/")
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1
    assert login("office_city").post(f"{URL}999/revoke/").status_code == 404


@pytest.mark.django_db
def test_unknown_expired_and_malformed_tokens_are_refused(personas, org):
    token, secret = services_tokens.token_create(actor=personas["office_city"], name="热线", unit=org["street_a1"],
                                                 role="handler", permissions=["problems.read"], days=1)
    for wrong in ["", "wm_", secret + "x", secret[:-1], "Bearer " + secret, "wm_" + "a" * 300, secret + "\x00"]:
        with pytest.raises(TokenInvalid):
            tokens.authenticate(wrong)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TokenInvalid, match="已过期"):
        tokens.authenticate(secret)
    assert AuditEvent.objects.filter(action="api_token.refused").count() == 1


@pytest.mark.django_db
def test_every_use_is_audited_with_the_tokens_unit(personas, org):
    token, secret = services_tokens.token_create(actor=personas["office_city"], name="热线", unit=org["street_a1"],
                                                 role="handler", permissions=["problems.read"])
    for _ in range(3):
        tokens.authenticate(secret)
    used = AuditEvent.objects.filter(action="api_token.use")
    assert used.count() == 3
    assert {(e.actor_username, e.unit_path) for e in used} == {(token.user.username, org["street_a1"].path)}
    token.refresh_from_db()
    assert token.last_used_at is not None
