"""The public portal in a real browser, without signing in: open data with preview and download, the credit
look-up, 双公示 and random inspections; the login page leads to it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pyarrow as pa
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_data(live_demo):
    from regshare.catalog.models import Resource
    from regshare.lake import tables as lake

    resource = Resource.objects.get(code="XZSP-0001")
    names = list(resource.fields.order_by("position", "id").values_list("code_name", flat=True))
    columns = {name: [f"{name}-{i}" for i in range(30)] for name in names}
    columns["legal_rep"] = [f"李四{i:02d}" for i in range(30)]
    lake.write(resource.code, pa.table(columns), mode="replace")
    return live_demo


def check(response, page) -> None:
    assert response is not None and response.status < 400, response and (response.url, response.status)
    assert "Traceback" not in page.content()


def test_a_visitor_walks_the_portal(open_data, page, artifacts):
    url = open_data.url
    check(page.goto(f"{url}/login/"), page)
    page.click("[data-testid=portal-link]")
    page.wait_for_selector("h1:has-text('公众服务门户')")
    assert "主办单位" in page.locator("[data-testid=portal-footer]").inner_text()
    page.screenshot(path=str(artifacts / "portal-home.png"), full_page=True)

    page.click("[data-testid=tile-open-data]")
    page.fill("input[name=q]", "行政许可")
    page.click("button:has-text('搜索')")
    page.click("a:has-text('行政许可信息')")
    preview = page.locator("[data-testid=preview]")
    assert preview.locator("tbody tr").count() == 20
    assert "李四00" not in preview.inner_text() and "李***" in preview.inner_text()
    page.screenshot(path=str(artifacts / "portal-open-data.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-testid=download-xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")

    for path, name in [("/portal/credit/", "portal-credit.png"), ("/portal/publicity/", "portal-publicity.png"),
                       ("/portal/inspections/", "portal-inspections.png"), ("/portal/reports/", "portal-reports.png")]:
        check(page.goto(f"{url}{path}"), page)
        page.screenshot(path=str(artifacts / name), full_page=True)
    answer = page.goto(f"{url}/api/v1/open/resources/XZSP-0001/rows?limit=5")
    check(answer, page)
    assert {row["legal_rep"] for row in answer.json()["rows"]} <= {f"李{'*' * 3}"}
