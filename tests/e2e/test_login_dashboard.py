import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_logs_in_and_sees_the_dashboard(live_demo, page, artifacts):
    page.goto(f"{live_demo.url}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "Demo@2026")
    page.click("button[type=submit]")
    page.wait_for_selector("text=待办事项")
    assert page.locator("h1").first.inner_text() == "工作台"
    assert page.locator("nav.sidebar").inner_text().count("审计日志") == 1
    assert page.locator("[data-testid=empty-pending]").is_visible()
    # htmx is served by the platform itself.
    assert page.evaluate("typeof window.htmx") == "object"
    page.screenshot(path=str(artifacts / "dashboard-admin.png"), full_page=True)
    assert (artifacts / "dashboard-admin.png").stat().st_size > 10_000


def test_wrong_password_shows_a_chinese_message(live_demo, page):
    page.goto(f"{live_demo.url}/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()
