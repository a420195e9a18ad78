"""Requests no page can use — NUL characters in a query string (PostgreSQL refuses them in any
query), a request Django itself refuses — are answered 400 with a Chinese page, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse

PAGES = ["cases:ledger", "cases:notices", "cases:metrics", "places:list", "inspections:list", "standards:list",
         "org:tree", "org:accounts", "audit_log", "cases:todo", "home"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("query", ["q=%00", "unit=%00abc", "%00=1", "state=a%00b", "page=%00"])
def test_nul_in_a_query_string_is_refused_in_chinese(login, name, query):
    response = login("office_city").get(f"{reverse(name)}?{query}")
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


@pytest.mark.django_db
def test_a_request_django_refuses_gets_the_chinese_400_page(login, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/problems/WT2026%00/", "/points/P%0001/", "/problems/settings/sla%00/1/delete/",
                                  "/org/%00/"])
def test_nul_in_a_path_is_refused_in_chinese(login, path):
    response = login("office_city").get(path)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


@pytest.mark.django_db
def test_nul_in_a_path_under_the_api_is_the_api_json_error(login):
    response = login("office_city").get("/api/problems/WT2026%00/")
    assert response.status_code == 400 and response.json()["code"]


@pytest.mark.django_db
def test_a_cookie_holding_nul_is_ignored_not_a_500(client, org):
    client.cookies["sessionid"] = "abcdefghij\x00klmnopqrstuvwxyz012345"
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
