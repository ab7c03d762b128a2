"""Each role's dashboard, the cockpit and the leader's page in a real browser: the charts are drawn by the
platform's own ECharts, no page answers ≥ 400 or shows a traceback; screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEPS = ("regshare.demo.org", "regshare.demo.catalog", "regshare.demo.ingest", "regshare.demo.exchange",
         "regshare.demo.incidents")
ROLES = ["admin", "auditor", "sjj_analyst", "scjg_liaison", "scjg_reviewer", "scjg_leader", "scjg_admin",
         "scjg_inspector"]


@pytest.fixture
def live_figures(live_server):
    """The demo district with applications, loads and incidents, so the charts have something to draw."""
    from regshare.demo import build

    build(seed=1, entities=0, steps=STEPS)
    return live_server


def sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Demo@2026")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def visit(page, url: str) -> None:
    """Open ``url`` and check the answer: below 400, no traceback, every chart on the page drawn."""
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    body = page.content()
    assert "Traceback" not in body and "Server Error" not in body, url
    charts = page.locator("[data-figure]")
    if charts.count():
        page.wait_for_function("document.querySelectorAll('[data-figure]:not([data-drawn])').length === 0")
        assert page.locator("[data-figure] canvas").count() == charts.count(), url


def test_every_role_sees_its_dashboard_charts(live_figures, browser, artifacts):
    for username in ROLES:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        context.set_default_timeout(120_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        sign_in(page, live_figures.url, username)
        visit(page, f"{live_figures.url}/")
        assert page.locator(".figure").count() >= 1, username
        assert page.locator("h2:has-text('待办事项')").count() == 1
        page.screenshot(path=str(artifacts / f"dashboard-{username}.png"), full_page=True)
        assert not errors, (username, errors)
        context.close()


def test_the_cockpit_and_the_leaders_page(live_figures, page, artifacts):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_figures.url, "admin")
    visit(page, f"{live_figures.url}/cockpit/")
    assert page.locator("[data-testid=board-stats] .stat").count() >= 5
    for title in ["审核用时与办理时限", "数据质量趋势", "各部门超期事项", "数据安全事件"]:
        assert page.locator(f"h2:has-text('{title}')").count() == 1, title
    page.screenshot(path=str(artifacts / "cockpit.png"), full_page=True)
    visit(page, f"{live_figures.url}/cockpit/leader/?department=360404-SCJG")
    assert "区市场监管局 · 与全区对比" in page.locator("h1").inner_text()
    page.screenshot(path=str(artifacts / "cockpit-leader-admin.png"), full_page=True)

    sign_in(page, live_figures.url, "scjg_leader")
    visit(page, f"{live_figures.url}/cockpit/leader/")
    assert page.locator("[data-testid=leader-comparison] tbody tr").count() == 6
    page.screenshot(path=str(artifacts / "cockpit-leader.png"), full_page=True)
    assert not errors, errors
