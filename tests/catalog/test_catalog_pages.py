"""Catalog pages render for the provider's liaison and the data bureau, and the forms work."""

from __future__ import annotations

import pytest

from regshare.catalog.models import Demand, Resource, Status

PAGES = ["/catalog/", "/catalog/?q=企业+登记", "/catalog/?share_type=none", "/catalog/new/", "/catalog/review/",
         "/catalog/review/?all=1", "/catalog/demands/", "/catalog/obligations/", "/catalog/transfer/",
         "/catalog/r/SCJG-0001/", "/catalog/r/SCJG-0012/", "/catalog/r/SCJG-0001/edit/"]


@pytest.mark.parametrize("username", ["scjg_liaison", "admin", "sjj_reviewer"])
@pytest.mark.parametrize("url", PAGES)
def test_pages_render(client_as, username, url):
    response = client_as(username).get(url)
    expected = 200
    if username == "sjj_reviewer" and url.endswith(("/new/", "/edit/")):
        expected = 403  # a reviewer does not maintain resources
    assert response.status_code == expected


def test_search_page_ranks(client_as):
    body = client_as("fgj_liaison").get("/catalog/", {"q": "企业 登记"}).content.decode()
    assert body.index("SCJG-0001") < body.index("SCJG-0003")


def test_detail_shows_schema_and_actions(client_as):
    body = client_as("scjg_liaison").get("/catalog/r/SCJG-0001/").content.decode()
    for text in ("统一社会信用代码", "身份证号", "目录版本", "状态记录", "申请下线", "编辑"):
        assert text in body
    other = client_as("fgj_liaison").get("/catalog/r/SCJG-0001/").content.decode()
    assert "申请下线" not in other and "/edit/" not in other


def test_create_with_field_formset(client_as):
    data = {"name": "网络直播营销监测信息", "summary": "直播带货监测", "category": "result", "data_format": "电子表格",
            "update_frequency": "monthly", "share_type": "unconditional", "open_type": "closed", "provision": "file",
            "grade": "general", "max_invalid_fraction": "0.05",
            "fields-TOTAL_FORMS": "3", "fields-INITIAL_FORMS": "0", "fields-MIN_NUM_FORMS": "0",
            "fields-MAX_NUM_FORMS": "1000",
            "fields-0-name": "统一社会信用代码", "fields-0-code_name": "uscc", "fields-0-data_type": "string",
            "fields-0-tag": "uscc", "fields-0-grade": "general", "fields-0-is_key": "on",
            "fields-1-name": "直播间名称", "fields-1-code_name": "room", "fields-1-data_type": "string",
            "fields-1-tag": "", "fields-1-grade": "general",
            "fields-2-name": "", "fields-2-code_name": "", "fields-2-data_type": "string", "fields-2-grade": "general"}
    response = client_as("scjg_liaison").post("/catalog/new/", data)
    assert response.status_code == 302
    resource = Resource.objects.get(name="网络直播营销监测信息")
    assert [f.code_name for f in resource.fields.order_by("position")] == ["uscc", "room"]
    data["name"] = "违规资源"
    data["share_type"], data["open_type"] = "conditional", "open"
    page = client_as("scjg_liaison").post("/catalog/new/", data)
    assert page.status_code == 200 and "不可向社会开放" in page.content.decode()
    assert not Resource.objects.filter(name="违规资源").exists()


def test_bureau_publishes_from_the_page(client_as):
    client_as("scjg_liaison").post("/catalog/r/FGJ-0004/submit/")  # not visible to SCJG: nothing changes
    assert Resource.objects.get(code="FGJ-0004").submitted_at is None
    client_as("fgj_liaison").post("/catalog/r/FGJ-0004/submit/")
    assert Resource.objects.get(code="FGJ-0004").submitted_at is not None
    reviewer = client_as("sjj_reviewer")
    assert "FGJ-0004" in reviewer.get("/catalog/review/").content.decode()
    reviewer.post("/catalog/r/FGJ-0004/publish/", {"note": "同意"})
    assert Resource.objects.get(code="FGJ-0004").status == Status.PUBLISHED


def test_demand_page_flow(client_as):
    client = client_as("fgj_liaison")
    response = client.post("/catalog/demands/", {"title": "企业经营异常名录", "frequency": "daily",
                                                  "purpose": "信用监管"})
    demand = Demand.objects.get(title="企业经营异常名录")
    assert response.status_code == 302
    body = client.get(f"/catalog/demands/{demand.pk}/").content.decode()
    assert "SCJG-0003" in body
    client.post(f"/catalog/demands/{demand.pk}/", {"action": "match", "resource": "SCJG-0003"})
    demand.refresh_from_db()
    assert demand.matched_resource.code == "SCJG-0003"
    assert "企业经营异常名录" in client_as("admin").get("/catalog/demands/").content.decode()


def test_cli_search_and_export(demo, tmp_path, capsys):
    from regshare.cli import main

    assert main(["catalog", "search", "企业 登记", "--limit", "3"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("SCJG-0001")
    target = tmp_path / "dcat.jsonld"
    assert main(["catalog", "export", "dcat", str(target)]) == 0
    assert "市场主体登记信息" in target.read_text(encoding="utf-8")
    assert main(["catalog", "daily"]) == 0


def test_other_apps_add_panels_to_the_resource_page(client_as):
    from django.utils.html import format_html

    from regshare.catalog import services
    from regshare.core import panels

    def quality(principal, resource):
        return ("数据质量", format_html("<p>完整率 {}%</p>", 98)) if resource.code == "SCJG-0001" else None

    services.register_detail_panel(quality)
    try:
        body = client_as("fgj_liaison").get("/catalog/r/SCJG-0001/").content.decode()
        assert "<h2>数据质量</h2><p>完整率 98%</p>" in body
        assert "数据质量" not in client_as("fgj_liaison").get("/catalog/r/SCJG-0002/").content.decode()
    finally:
        panels.unregister(services.RESOURCE_PAGE, quality)
