"""Open data on the public portal: only unconditional + 可开放 resources, previews and downloads masked,
Chinese headers, formula text neutralised, an open API, every read audited, rate-limited per address."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest
from openpyxl import load_workbook

from regshare.catalog.models import Resource
from regshare.core.models import AuditRecord

OPEN = "XZSP-0001"     # 行政许可信息: 无条件共享, 可开放
CLOSED = "XZSP-0002"   # 政务服务办件信息: 无条件共享, 不可开放
CONDITIONAL = "XZSP-0004"


@pytest.fixture
def open_rows(demo):
    """25 licences in the lake for the open resource; the first one's item name looks like a formula."""
    from regshare.lake import tables as lake

    resource = Resource.objects.get(code=OPEN)
    names = list(resource.fields.order_by("position", "id").values_list("code_name", flat=True))
    columns = {name: [f"{name}-{i:02d}" for i in range(25)] for name in names}
    columns["decision_no"] = [f"柴审许〔2026〕{i:02d}号" for i in range(25)]
    columns["legal_rep"] = [f"张三{i:02d}" for i in range(25)]
    columns["item_name"] = ["=HYPERLINK(\"http://x\")"] + [f"事项{i}" for i in range(1, 25)]
    lake.write(OPEN, pa.table(columns), mode="replace")
    return resource


def test_only_unconditional_open_resources_are_listed(client, demo):
    html = client.get("/portal/open-data/", {"q": "许可"}).content.decode()
    assert "行政许可信息" in html
    assert "政务服务办件信息" not in html and "营业执照电子证照信息" not in html
    assert client.get(f"/portal/open-data/{CLOSED}/").status_code == 404
    assert client.get(f"/portal/open-data/{CONDITIONAL}/").status_code == 404
    searched = client.get("/portal/open-data/", {"q": "施工许可"}).content.decode()
    assert "建设工程施工许可信息" in searched and "行政许可信息</a>" not in searched


def test_preview_masks_personal_fields_and_pages(client, open_rows):
    html = client.get(f"/portal/open-data/{OPEN}/").content.decode()
    assert "法定代表人" in html and "已脱敏" in html
    assert "张三00" not in html and "张*" in html
    assert "柴审许〔2026〕00号" in html and "柴审许〔2026〕19号" in html and "柴审许〔2026〕20号" not in html
    assert "共 25 行" in html
    second = client.get(f"/portal/open-data/{OPEN}/", {"page": 2}).content.decode()
    assert "柴审许〔2026〕20号" in second and "柴审许〔2026〕00号" not in second
    assert AuditRecord.objects.filter(action="portal.open_data.preview", target=f"resource:{OPEN}").exists()


def test_csv_download_has_chinese_headers_masked_names_and_no_formulas(client, open_rows):
    response = client.get(f"/portal/open-data/{OPEN}/download.csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["行政许可决定书文号", "统一社会信用代码", "企业名称"]
    legal_rep, item = header.index("法定代表人"), header.index("许可事项")
    assert len(rows) == 26
    assert all(not row[legal_rep].startswith("张三") for row in rows[1:])
    assert rows[1][item].startswith("'=")
    record = AuditRecord.objects.filter(action="portal.open_data.download").latest("seq")
    assert '"rows": 25' in record.detail and '"format": "csv"' in record.detail


def test_excel_download_opens_with_chinese_headers(client, open_rows):
    response = client.get(f"/portal/open-data/{OPEN}/download.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "行政许可决定书文号" and len(values) == 26
    assert sheet.cell(row=2, column=values[0].index("许可事项") + 1).data_type == "s"


def test_an_unknown_format_is_a_chinese_error_not_a_500(client, open_rows):
    response = client.get(f"/portal/open-data/{OPEN}/download.pdf")
    assert response.status_code == 400 and "下载格式须为 csv 或 xlsx" in response.content.decode()


def test_a_resource_without_data_says_so(client, demo):
    from regshare.core.models import Department

    empty = Resource.objects.create(code="OPEN-EMPTY", name="尚无数据的开放资源", provider=Department.objects.first(),
                                    share_type="unconditional", open_type="open", status="published")
    empty.fields.create(name="统一社会信用代码", code_name="uscc", is_key=True)
    html = client.get("/portal/open-data/OPEN-EMPTY/").content.decode()
    assert "该资源暂无可预览的数据" in html
    response = client.get("/portal/open-data/OPEN-EMPTY/download.csv")
    assert response.status_code == 400 and "该资源尚无可下载的数据" in response.content.decode()


def test_open_api_lists_and_pages_masked_rows_without_a_token(client, open_rows):
    listed = client.get("/api/v1/open/resources", {"q": "许可"}).json()
    assert OPEN in [item["code"] for item in listed["items"]] and CLOSED not in [i["code"] for i in listed["items"]]
    body = client.get(f"/api/v1/open/resources/{OPEN}/rows", {"offset": 20, "limit": 10}).json()
    assert body["total"] == 25 and len(body["rows"]) == 5
    assert body["rows"][0]["decision_no"] == "柴审许〔2026〕20号"
    assert body["rows"][0]["legal_rep"] == "张***"  # 张三20: the surname kept
    assert {"code": "legal_rep", "label": "法定代表人", "masked": True} in body["columns"]
    assert client.get(f"/api/v1/open/resources/{CLOSED}/rows").status_code == 404
    too_many = client.get(f"/api/v1/open/resources/{OPEN}/rows", {"limit": 500})
    assert too_many.status_code == 400 and too_many.json()["code"] == "bad_limit"
    far = client.get(f"/api/v1/open/resources/{OPEN}/rows", {"offset": 10**15})
    assert far.status_code == 400 and far.json()["code"] == "bad_offset"
    assert client.get(f"/portal/open-data/{OPEN}/", {"page": 10**20}).status_code == 200
    assert AuditRecord.objects.filter(action="portal.api.rows", target=f"resource:{OPEN}").exists()


def test_the_portal_is_rate_limited_per_address(client, demo, settings):
    settings.REGSHARE_PORTAL_RATE_PER_IP = (3, 60)
    for _ in range(3):
        assert client.get("/portal/open-data/").status_code == 200
    refused = client.get("/portal/open-data/")
    assert refused.status_code == 429 and "访问过于频繁" in refused.content.decode()
    assert refused["Retry-After"].isdigit()
    assert client.get("/api/v1/open/resources").status_code == 429


def test_footer_names_the_operator_and_the_login_page_links_to_the_portal(client, demo, settings):
    settings.REGSHARE_PORTAL_OPERATOR = "柴桑区数据管理局"
    settings.REGSHARE_PORTAL_CONTACT = "0792-1234567"
    html = client.get("/portal/").content.decode()
    assert "主办单位:柴桑区数据管理局" in html and "0792-1234567" in html
    assert 'href="/portal/"' in client.get("/login/").content.decode()
