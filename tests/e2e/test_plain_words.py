"""The audit log in words: an auditor finds the sign-ins by the Chinese name of the action."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_auditor_filters_the_audit_log_by_a_chinese_label(live_demo, page, artifacts):
    page.goto(f"{live_demo.url}/login/")
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", "Demo@2026")
    page.click("button[type=submit]")
    page.wait_for_selector("nav.sidebar")
    page.goto(f"{live_demo.url}/system/audit/")
    page.fill("input[name=label]", "登录成功")
    page.click("[data-testid=audit-filter] button:has-text('筛选')")
    page.wait_for_url("**label=**")
    body = page.locator("table.grid tbody").inner_text()
    assert "登录成功" in body and "login.success" not in body and "user:" not in body
    assert "审计员(auditor)" in body
    page.screenshot(path=str(artifacts / "audit-log-words.png"), full_page=True)
