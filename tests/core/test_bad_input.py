"""Input a caller can send that used to end in a server error: each gets a 4xx with a code and a Chinese
message, and changes nothing."""

from __future__ import annotations

import json

import pytest

from regshare.api import api
from regshare.core import services
from regshare.core.models import ApiToken, Notification, NotificationRead
from regshare.core.pagination import MAX_PAGE


@pytest.fixture
def sjj_token(user_named, principal_of_user):
    """A token of the data bureau with every scope of the core API."""
    admin = user_named("admin")
    return services.issue_token(principal_of_user("admin"), department=admin.department, name="业务系统",
                                scopes=["departments.view", "notifications.view"]).secret


def test_a_department_token_reads_its_department_notifications(client, user_named, sjj_token):
    Notification.objects.all().delete()  # other apps' demo data in the shared database sends notices too
    admin = user_named("admin")
    services.notify_department(admin.department, "test", "部门通知")
    services.notify_user(admin, "test", "个人通知")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {sjj_token}"}
    listed = client.get("/api/v1/notifications", **bearer)
    assert listed.status_code == 200
    assert [n["title"] for n in listed.json()["items"]] == ["部门通知"]
    assert listed.json()["items"][0]["is_read"] is False
    marked = client.post("/api/v1/notifications/read", {"ids": None}, content_type="application/json", **bearer)
    assert marked.status_code == 400 and marked.json()["code"] == "no_read_state"
    assert "令牌" in marked.json()["message"]
    assert not NotificationRead.objects.exists()


def _paginated_lists() -> list[str]:
    schema = api.get_openapi_schema()
    return sorted(path for path, operations in schema["paths"].items()
                  if any(p["name"] == "page" for p in operations.get("get", {}).get("parameters", [])))


def test_every_list_refuses_a_page_beyond_the_limit(client_as):
    client = client_as("admin")
    lists = _paginated_lists()
    assert "/api/v1/credit/records" in lists and "/api/v1/departments" in lists
    refused = set()
    for path in lists:
        url = path.replace("{", "").replace("}", "")  # a path parameter named after itself: not found at worst
        for page in (2**63, 2**64 + 1, MAX_PAGE + 1):
            response = client.get(url, {"page": page})
            # 403: a list the platform admin may not read (its permission is checked before the parameters).
            assert response.status_code in (403, 404, 422), (path, page, response.status_code)
            if response.status_code == 422:
                assert response.json()["code"] == "invalid_request"
                refused.add(path)
    assert {"/api/v1/credit/records", "/api/v1/departments", "/api/v1/notifications"} <= refused
    assert client.get("/api/v1/departments", {"page": MAX_PAGE}).json()["items"] == []


def test_lone_surrogates_in_json_are_refused(client_as, user_named):
    client = client_as("admin")
    admin = user_named("admin")
    before = ApiToken.objects.count()
    def token_request(name: str):
        body = json.dumps({"name": name, "department_id": admin.department_id, "scopes": ["departments.view"]})
        return client.post("/api/v1/tokens", body, content_type="application/json")

    response = token_request("\ud800系统")
    assert response.status_code == 400 and response.json()["code"] == "bad_text"
    assert "代理码位" in response.json()["message"]
    assert ApiToken.objects.count() == before
    # A proper pair (an emoji) is one character and is taken.
    assert token_request("\U0001f600系统").status_code == 201


def test_nul_characters_are_refused(client_as, user_named):
    """PostgreSQL's text columns cannot hold NUL; refused the same way on every database."""
    client = client_as("admin")
    before = ApiToken.objects.count()
    body = json.dumps({"name": "系统\x00", "department_id": user_named("admin").department_id,
                       "scopes": ["departments.view"]})
    response = client.post("/api/v1/tokens", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "bad_text"
    assert ApiToken.objects.count() == before
    searched = client.get("/api/v1/departments?q=%00")
    assert searched.status_code == 400 and searched.json()["code"] == "bad_text"


def test_deeply_nested_json_is_refused(client_as):
    client = client_as("admin")
    body = '{"ids": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post("/api/v1/notifications/read", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "too_deep"


def test_an_integer_beyond_64_bits_is_not_a_server_error(client_as):
    client = client_as("admin")
    response = client.post("/api/v1/notifications/read", json.dumps({"ids": [2**70]}),
                           content_type="application/json")
    # SQLite cannot take the number at all (400 out_of_range); PostgreSQL compares it and finds nothing.
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json() == {"code": "out_of_range", "message": "数值超出允许范围"}
    else:
        assert response.json()["count"] == 0
    assert not NotificationRead.objects.exists()


def test_a_body_that_is_not_json_gets_a_chinese_message(client_as):
    response = client_as("admin").post("/api/v1/notifications/read", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "bad_json", "message": "请求内容无法解析,须为有效的 JSON"}
