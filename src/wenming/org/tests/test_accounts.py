"""Account management by the office: create, disable, reset password, roles — and no one else."""

import pytest
from django.test import Client
from django.urls import reverse

from wenming.core.errors import ServiceError
from wenming.core.models import AuditEvent
from wenming.org import services
from wenming.org.models import Membership, Role, User


@pytest.mark.django_db
def test_office_creates_account_with_temporary_password(login, org):
    client = login("office_district_a")
    response = client.post(reverse("org:account_create"), {
        "username": "liu_a1", "full_name": "刘晓东", "phone": "13600001111", "post": "城管科科员",
        "unit": "330102001", "role": "handler"})
    assert response.status_code == 200 and "临时密码" in response.content.decode()
    assert response.headers["Cache-Control"].startswith("max-age=0")
    password = response.context["password"]
    user = User.objects.get(username="liu_a1")
    assert user.must_change_password and user.check_password(password)
    assert list(user.memberships.values_list("unit__code", "role")) == [("330102001", "handler")]
    event = AuditEvent.objects.get(action="org.account_create")
    assert event.actor_username == "office_district_a" and event.detail["role"] == "handler"
    # the new handler logs in and must first change the password
    fresh = Client()
    assert fresh.post(reverse("login"), {"username": "liu_a1", "password": password}).status_code == 302
    assert fresh.get(reverse("home"))["Location"] == reverse("password_change")


@pytest.mark.django_db
def test_account_form_errors_in_chinese(login, personas, org):
    client = login("office_district_a")
    count = User.objects.count()
    cases = [
        ({"username": "bad name!", "full_name": "某", "unit": "330102001", "role": "handler"}, "用户名只能包含字母"),
        ({"username": "handler_street_a1", "full_name": "某", "unit": "330102001", "role": "handler"}, "已被使用"),
        ({"username": "x1", "full_name": "某", "unit": "999999", "role": "handler"}, "找不到编码为999999的单位"),
        ({"username": "x2", "full_name": "某", "phone": "12ab", "unit": "330102001", "role": "handler"}, "手机号格式不正确"),
        ({"username": "x3", "full_name": "", "unit": "330102001", "role": "handler"}, "这个字段是必填项"),
    ]
    for data, message in cases:
        response = client.post(reverse("org:account_create"), data)
        assert response.status_code == 200 and message in response.content.decode(), message
    assert User.objects.count() == count
    # a unit outside the district office's subtree gets the same answer as one that does not exist
    response = client.post(reverse("org:account_create"), {"username": "x4", "full_name": "某", "unit": "330103001",
                                                           "role": "handler"})
    assert "找不到编码为330103001的单位，或该单位不在您的范围内" in response.content.decode()
    assert User.objects.count() == count


@pytest.mark.django_db
def test_only_office_manages_accounts(login, personas):
    target = personas["handler_street_a1"]
    for persona in ["handler_street_a1", "handler_street_a2", "inspector", "leader", "grid_worker", "admin", "citizen",
                    "outsider"]:
        client = login(persona)
        assert client.get(reverse("org:account", args=[target.pk])).status_code == 403, persona
        assert client.post(reverse("org:account_toggle", args=[target.pk])).status_code == 403, persona
        assert client.post(reverse("org:account_reset", args=[target.pk])).status_code == 403, persona
    target.refresh_from_db()
    assert target.is_active and target.check_password("Persona2026pass")
    assert login("leader").post(reverse("org:account_toggle", args=[target.pk])).status_code == 403
    assert login("citizen").post(reverse("org:account_toggle", args=[target.pk])).status_code == 403


@pytest.mark.django_db
def test_office_scope_for_accounts(login, personas):
    district = login("office_district_a")
    # his subtree's accounts: yes; the city's and district B's: not revealed
    assert district.get(reverse("org:account", args=[personas["handler_street_a1"].pk])).status_code == 200
    for name in ["office_city", "inspector", "citizen"]:
        assert district.get(reverse("org:account", args=[personas[name].pk])).status_code == 404, name
    listed = {u.username for u in district.get(reverse("org:accounts")).context["page"]}
    assert listed == {"handler_street_a1", "handler_street_a2", "grid_worker"}  # not himself, not the leader
    city_listed = {u.username for u in login("office_city").get(reverse("org:accounts") + "?role=handler").context["page"]}
    assert city_listed == {"handler_street_a1", "handler_street_a2"}


@pytest.mark.django_db
def test_disable_enable_and_reset_through_pages(login, personas):
    client = login("office_district_a")
    target = personas["handler_street_a2"]
    assert client.post(reverse("org:account_toggle", args=[target.pk])).status_code == 302
    target.refresh_from_db()
    assert target.is_active is False
    assert client.post(reverse("org:account_toggle", args=[target.pk])).status_code == 302
    target.refresh_from_db()
    assert target.is_active is True
    response = client.post(reverse("org:account_reset", args=[target.pk]))
    target.refresh_from_db()
    assert target.check_password(response.context["password"]) and target.must_change_password
    actions = list(AuditEvent.objects.filter(actor_username="office_district_a", action__startswith="org.").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["org.account_disable", "org.account_enable", "org.account_reset_password"]


@pytest.mark.django_db
def test_office_cannot_change_own_account_through_management(personas):
    with pytest.raises(ServiceError, match="不能在账号管理中修改自己的账号"):
        services.account_set_active(actor=personas["office_city"], user=personas["office_city"], active=False)


@pytest.mark.django_db
def test_grant_and_revoke_roles(login, personas, org):
    client = login("office_district_a")
    target = personas["handler_street_a1"]
    response = client.post(reverse("org:account_grant", args=[target.pk]), {"unit": "330102001001", "role": "grid_worker"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=target, role=Role.GRID_WORKER)
    assert membership.unit == org["community_a1"]
    # granting outside the subtree is not revealed; granting admin needs the city office
    client.post(reverse("org:account_grant", args=[target.pk]), {"unit": "330103001", "role": "handler"})
    assert not Membership.objects.filter(user=target, unit__code="330103001").exists()
    assert client.post(reverse("org:account_grant", args=[target.pk]),
                       {"unit": "330102001", "role": "admin"}).status_code == 403
    assert client.post(reverse("org:account_revoke", args=[target.pk, membership.pk])).status_code == 302
    membership.refresh_from_db()
    assert membership.is_active is False
    # the last role cannot be revoked (disable the account instead)
    last = Membership.objects.get(user=target, role=Role.HANDLER)
    client.post(reverse("org:account_revoke", args=[target.pk, last.pk]))
    last.refresh_from_db()
    assert last.is_active is True


@pytest.mark.django_db
def test_revoked_role_loses_scope_at_once(login, personas, org):
    services.membership_grant(actor=personas["office_city"], user=personas["handler_street_a1"],
                              unit=org["street_a2"], role=Role.HANDLER)
    client = login("handler_street_a1")
    assert client.get(reverse("org:unit", args=[org["street_a2"].pk])).status_code == 200
    membership = Membership.objects.get(user=personas["handler_street_a1"], unit=org["street_a2"])
    services.membership_revoke(actor=personas["office_city"], membership=membership)
    assert client.get(reverse("org:unit", args=[org["street_a2"].pk])).status_code == 404


@pytest.mark.django_db
def test_district_office_cannot_take_over_peers_or_superiors(login, personas, org):
    """A district office must not reset the password of its own district's leader (who is also
    patron of a street in district B) nor of another district-level office account."""
    peer, _ = services.account_create(actor=personas["office_city"], username="office_district_a2", full_name="同级",
                                      phone="", post="", unit=org["district_a"], role=Role.OFFICE)
    street_office, _ = services.account_create(actor=personas["office_city"], username="office_street_a1",
                                               full_name="街道创建办", phone="", post="", unit=org["street_a1"],
                                               role=Role.OFFICE)
    district = login("office_district_a")
    for target in [personas["leader"], peer]:
        assert district.get(reverse("org:account", args=[target.pk])).status_code == 404
        assert district.post(reverse("org:account_reset", args=[target.pk])).status_code == 404
    assert district.get(reverse("org:account", args=[street_office.pk])).status_code == 200
    # the city office manages them
    assert login("office_city").get(reverse("org:account", args=[personas["leader"].pk])).status_code == 200
    # a street-level leader whose 包保 reaches into district B is not the district office's either
    street_leader, _ = services.account_create(actor=personas["office_city"], username="leader_a1", full_name="街道领导",
                                               phone="", post="", unit=org["street_a1"], role=Role.LEADER)
    assert district.get(reverse("org:account", args=[street_leader.pk])).status_code == 200
    services.patronage_create(actor=personas["office_city"], target_unit=org["street_b1"], patron_user=street_leader)
    assert district.get(reverse("org:account", args=[street_leader.pk])).status_code == 404
