import pytest


def test_openapi_schema_and_docs(client, demo):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/health" in paths and "/api/v1/tokens" in paths
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.parametrize("asset", ["vendor/htmx.min.js", "vendor/echarts.min.js", "regshare/app.css"])
def test_front_end_assets_are_served_by_the_platform(client, demo, asset):
    response = client.get(f"/static/{asset}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) > 1000


def test_base_layout_uses_no_external_assets(client_as):
    page = client_as("admin").get("/").content.decode()
    assert "http://" not in page.replace("http://127.0.0.1", "") and "https://" not in page


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        ("admin", ["审计日志", "工作日日历", "接口令牌", "用户管理"], []),
        ("auditor", ["审计日志"], ["接口令牌", "用户管理"]),
        ("scjg_liaison", ["工作台", "消息通知"], ["审计日志", "接口令牌", "用户管理"]),
        ("scjg_admin", ["接口令牌", "用户管理"], ["审计日志"]),
    ],
)
def test_navigation_follows_role(client_as, username, visible, hidden):
    nav = client_as(username).get("/").content.decode().split('<nav class="sidebar">')[1].split("</nav>")[0]
    for label in visible:
        assert label in nav
    for label in hidden:
        assert label not in nav


def test_anonymous_visitor_is_sent_to_login(client, demo):
    response = client.get("/system/audit/")
    assert response.status_code == 302 and response.url.startswith("/login/?next=")


def test_audit_page_verifies_chain(client_as):
    page = client_as("auditor").get("/system/audit/?verify=1").content.decode()
    assert 'data-testid="verify-ok"' in page
