"""The cockpit, the leader's page and every role's dashboard show their figures as charts."""

from __future__ import annotations

import json
import re

import pytest

from regshare.core.models import AuditRecord

ROLE_FIGURES = {
    "admin": ["volume-district", "applications-district"],
    "auditor": ["volume-district", "incidents-district"],
    "sjj_analyst": ["volume-district"],
    "scjg_liaison": ["applications-dept-", "volume-dept-", "quality-dept-", "duty-dept-"],
    "scjg_admin": ["applications-dept-", "duty-dept-"],
    "scjg_reviewer": ["review-times-dept-", "on-time-dept-"],
    "scjg_leader": ["compare-dept-", "applications-dept-"],
    "scjg_inspector": ["inspection-tasks"],
}


def figure_specs(html: str) -> dict[str, dict]:
    """The JSON each chart draws, by the figure's key."""
    found = re.findall(r'<script id="figure-data-([\w-]+)" type="application/json">(.*?)</script>', html, re.S)
    return {key: json.loads(body) for key, body in found}


@pytest.mark.parametrize(("username", "expected"), ROLE_FIGURES.items())
def test_every_role_dashboard_shows_charts(client_as, username, expected):
    html = client_as(username).get("/").content.decode()
    specs = figure_specs(html)
    for prefix in expected:
        assert any(key.startswith(prefix) for key in specs) or f'data-testid="figure-{prefix}' in html, prefix
    assert "vendor/echarts.min.js" in html and "regshare/figures.js" in html
    assert "待办事项" in html  # the to-do list stays


def test_the_cockpit_shows_every_district_figure_and_is_audited(client_as):
    response = client_as("admin").get("/cockpit/")
    assert response.status_code == 200
    html = response.content.decode()
    for title in ["各部门已发布数据资源", "数据共享调用量", "共享申请办理情况", "审核用时与办理时限", "审核按期办结率",
                  "数据质量趋势", "数据报送情况", "各部门超期事项", "数据安全事件"]:
        assert title in html, title
    assert "已发布数据资源" in html and 'data-testid="board-stats"' in html
    specs = figure_specs(html)
    resources = specs["resources-district"]
    assert "区市场监管局" in resources["categories"]
    assert {s["name"] for s in resources["series"]} == {"无条件共享", "有条件共享", "不予共享"}
    assert AuditRecord.objects.filter(action="cockpit.view", actor="user:admin").exists()


def test_a_department_liaison_may_not_open_the_cockpit(client_as):
    assert client_as("scjg_liaison").get("/cockpit/").status_code == 403


def test_the_leader_sees_the_department_against_the_district(client_as):
    html = client_as("scjg_leader").get("/cockpit/leader/").content.decode()
    assert "区市场监管局 · 与全区对比" in html
    assert "审核按期办结率" in html and "全区" in html
    # a leader cannot look at another department by changing the address
    other = client_as("scjg_leader").get("/cockpit/leader/", {"department": "360404-SWJ"}).content.decode()
    assert "区市场监管局 · 与全区对比" in other


def test_the_data_bureau_picks_a_department_and_an_unknown_one_is_404(client_as):
    client = client_as("admin")
    assert "区税务局 · 与全区对比" in client.get("/cockpit/leader/", {"department": "360404-SWJ"}).content.decode()
    assert client.get("/cockpit/leader/", {"department": "nope"}).status_code == 404


def test_the_cockpit_api_gives_the_same_figures(client_as):
    body = client_as("auditor").get("/api/v1/cockpit/figures").json()
    keys = [f["key"] for f in body["figures"]]
    assert "review-times-district" in keys and "overdue-district" in keys
    review = next(f for f in body["figures"] if f["key"] == "review-times-district")
    assert review["categories"] == ["平台符合性审查", "提供部门审核"]
    assert next(s for s in review["series"] if s["name"] == "办理时限")["data"] == [2, 5]
    assert any(s["label"] == "已发布数据资源" for s in body["stats"])
    assert client_as("scjg_liaison").get("/api/v1/cockpit/figures").status_code == 403
