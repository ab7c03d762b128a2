"""A grant holder uses the data in the browser: the grant, its data table, a filter, an Excel download, a
call receipt; a liaison adds field rows to the resource form on the page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.exchange.conftest import registry_table

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Demo@2026"


@pytest.fixture
def grant(live_demo):
    from django.utils import timezone

    from regshare.catalog.models import Resource, ShareType
    from regshare.core.models import User
    from regshare.core.permissions import Principal
    from regshare.exchange import services
    from regshare.lake import tables as lake

    resource = Resource.objects.get(code="SCJG-0001")
    resource.share_type = ShareType.CONDITIONAL
    resource.save(update_fields=["share_type"])
    lake.write("SCJG-0001", registry_table(), mode="replace")

    def who(username: str) -> Principal:
        return Principal.for_user(User.objects.get(username=username))

    today = timezone.localdate()
    application = services.submit_application(who("xzsp_liaison"), services.ApplicationInput(
        resource=resource, fields=["uscc", "name", "legal_rep", "legal_rep_id", "phone"], clear_fields=["phone"],
        purpose="企业开办审批核验", scenario="窗口核验", legal_basis="《优化营商环境条例》",
        period_start=today, period_end=today + dt.timedelta(days=90),
        approval_file=SimpleUploadedFile("批准.pdf", b"%PDF-1.4 approval", content_type="application/pdf")))
    services.review(who("sjj_reviewer"), application, True)
    services.review(who("scjg_reviewer"), application, True)
    application.refresh_from_db()
    return application.grant


def _sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.sidebar")


def test_grant_holder_reads_filters_downloads_and_gets_a_receipt(live_demo, grant, page, artifacts):
    _sign_in(page, live_demo.url, "xzsp_liaison")
    page.goto(f"{live_demo.url}/exchange/grants/{grant.pk}/")
    page.click("text=查看和下载数据")
    table = page.locator("[data-testid=data-table]")
    assert "法定代表人" in table.locator("thead").inner_text() and "legal_rep" not in table.inner_text()
    assert table.locator("tbody tr").count() == 30
    assert "*" in table.locator("tbody tr").first.inner_text()  # the ID card is masked
    page.screenshot(path=str(artifacts / "grant-data.png"), full_page=True)

    page.select_option("select[name=field]", "uscc")
    page.fill("input[name=value]", "91360404MA3500007X")
    page.click("button:has-text('查询')")
    page.wait_for_url("**field=uscc**")
    assert table.locator("tbody tr").count() == 1 and "测试企业7有限公司" in table.inner_text()

    with page.expect_download() as waiting:
        page.click("[data-testid=downloads] >> text=Excel >> nth=0")
    sheet = load_workbook(io.BytesIO(open(waiting.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "统一社会信用代码" and len(rows) == 2 and rows[1][0] == "91360404MA3500007X"

    page.click("[data-testid=receipt-button]")
    page.wait_for_selector("[data-testid=receipt]")
    receipt = page.locator("[data-testid=receipt]").inner_text()
    assert "北京时间" in receipt and "凭证有效" in receipt
    page.screenshot(path=str(artifacts / "call-receipt.png"), full_page=True)
    page.click("text=本部门用数记录")
    assert page.locator("[data-testid=usage] tbody tr").count() >= 3  # page reads, download, receipt
    page.screenshot(path=str(artifacts / "usage.png"), full_page=True)


def test_resource_form_adds_field_rows_on_the_page(live_demo, page, artifacts):
    _sign_in(page, live_demo.url, "scjg_liaison")
    page.goto(f"{live_demo.url}/catalog/new/")
    rows = page.locator("[data-formset-rows=fields] tr")
    assert rows.count() == 1
    page.click("[data-testid=add-field]")
    page.click("[data-testid=add-field]")
    assert rows.count() == 3
    assert page.locator("input[name=fields-TOTAL_FORMS]").input_value() == "3"
    assert page.locator("input[name=fields-2-name]").count() == 1
    page.screenshot(path=str(artifacts / "resource-form-rows.png"), full_page=True)
