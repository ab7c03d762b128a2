"""The grant holder's data page: a table of the granted rows masked as the API masks them, filters on
the fields it may use, downloads with Chinese headers, call receipts as a page and a PDF, the usage page."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from regshare.core.models import AuditRecord
from regshare.exchange.models import Receipt


@pytest.fixture
def grant(granted):
    return granted(fields=("uscc", "name", "legal_rep", "legal_rep_id", "phone"), clear=("phone",))


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else response.content.decode()


def test_the_page_shows_the_rows_masked_like_the_api(client_as, grant, token_for, api):
    page = client_as("xzsp_liaison").get(f"/exchange/grants/{grant.pk}/data/")
    text = page.content.decode()
    assert page.status_code == 200
    # Chinese headers from the catalog, not the codes
    assert "<th class=\"nowrap\">法定代表人</th>" in text and "legal_rep_id</th>" not in text
    answer = api("get", "/api/v1/resources/SCJG-0001/rows?limit=50", token_for(grant)).json()
    first = answer["rows"][0]
    assert first["legal_rep_id"] in text and first["legal_rep_id"].startswith("360404") and "*" in first["legal_rep_id"]
    assert "36040419900101" + "0000" not in text  # the clear ID card is nowhere on the page
    assert first["phone"] in text and "*" not in first["phone"]  # granted in clear


def test_masked_fields_are_not_offered_as_filters_and_are_refused_if_sent(client_as, grant):
    client = client_as("xzsp_liaison")
    text = client.get(f"/exchange/grants/{grant.pk}/data/").content.decode()
    assert '<option value="phone"' in text and '<option value="legal_rep_id"' not in text
    assert "脱敏显示的数据项" in text
    refused = client.get(f"/exchange/grants/{grant.pk}/data/?field=legal_rep_id&op=gte&value=360404199001010015")
    assert refused.status_code == 200
    assert "脱敏显示,不能用于筛选" in refused.content.decode()


def test_filter_and_pages(client_as, grant):
    client = client_as("xzsp_liaison")
    one = client.get(f"/exchange/grants/{grant.pk}/data/?field=uscc&op=eq&value=91360404MA3500007X").content.decode()
    assert "测试企业7有限公司" in one and "测试企业8有限公司" not in one
    first = client.get(f"/exchange/grants/{grant.pk}/data/?sort=uscc").content.decode()
    assert "测试企业29有限公司" in first and "下一页" not in first  # 30 rows fit one page of 50
    second = client.get(f"/exchange/grants/{grant.pk}/data/?sort=-uscc&p=2").content.decode()
    assert "没有符合条件的数据" in second and "上一页" in second
    bad = client.get(f"/exchange/grants/{grant.pk}/data/?p=abc&version=99")
    assert bad.status_code == 200 and "没有版本 99" in bad.content.decode()


def test_other_departments_and_providers_do_not_read_through_the_grant(client_as, grant):
    assert client_as("fgj_liaison").get(f"/exchange/grants/{grant.pk}/data/").status_code == 404
    assert client_as("scjg_liaison").get(f"/exchange/grants/{grant.pk}/data/").status_code == 403


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
def test_downloads_have_chinese_headers_and_the_same_masking(client_as, grant, fmt):
    response = client_as("xzsp_liaison").get(f"/exchange/grants/{grant.pk}/download/?format={fmt}&sort=uscc")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    if fmt == "xlsx":
        rows = [list(r) for r in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True)]
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        rows = [table.column_names] + [list(r.values()) for r in table.to_pylist()]
    assert rows[0][0] == "统一社会信用代码" and "法定代表人" in rows[0]
    assert not any(header.isascii() for header in rows[0])  # no field code left
    by_header = dict(zip(rows[0], rows[1], strict=True))
    assert by_header["法定代表人"] == "欧阳**"  # the first row, 欧阳三丰, masked to its compound surname
    assert len(rows) == 31
    assert AuditRecord.objects.filter(action="exchange.access.download", target="resource:SCJG-0001").exists()


def test_receipt_page_pdf_and_usage(client_as, grant):
    client = client_as("xzsp_liaison")
    response = client.post(f"/exchange/grants/{grant.pk}/data/?field=uscc&value=91360404MA3500003X")
    receipt = Receipt.objects.get()
    assert response["Location"] == f"/exchange/receipts/{receipt.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "调用记录凭证" in page and "北京时间" in page and "凭证有效" in page and receipt.pk in page
    assert "统一社会信用代码 等于 91360404MA3500003X" in page and "uscc__eq" not in page
    assert "user:xzsp_liaison" not in page and "(xzsp_liaison)" in page
    issued = receipt.document["receipt"]["issued_at"]
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    assert timezone.localtime(parse_datetime(issued)).strftime("%Y-%m-%d %H:%M") in page  # Asia/Shanghai
    pdf = client.get(f"/exchange/receipts/{receipt.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    signed = json.loads(client.get(f"/exchange/receipts/{receipt.pk}/?format=json").content)
    assert signed["receipt"]["rows"] == 1
    usage = client.get("/exchange/usage/").content.decode()
    assert f"/exchange/receipts/{receipt.pk}/" in usage and "查询" in usage and "SCJG-0001" in usage
    # another department neither sees the receipt nor the read
    other = client_as("fgj_liaison")
    assert other.get(f"/exchange/receipts/{receipt.pk}/").status_code == 404
    assert receipt.pk not in other.get("/exchange/usage/").content.decode()


def test_a_download_with_receipt_is_listed_with_its_receipt(client_as, grant):
    client = client_as("xzsp_liaison")
    response = client.get(f"/exchange/grants/{grant.pk}/download/?format=xlsx&receipt=1")
    b"".join(response.streaming_content)
    receipt_id = response["X-Receipt-Id"]
    assert Receipt.objects.filter(pk=receipt_id).exists()
    assert f"/exchange/receipts/{receipt_id}/" in client.get("/exchange/usage/?channel=download").content.decode()


def test_provider_access_log_in_words_with_receipts_and_export(client_as, grant):
    consumer = client_as("xzsp_liaison")
    consumer.post(f"/exchange/grants/{grant.pk}/data/")
    receipt = Receipt.objects.get()
    provider = client_as("scjg_liaison")
    page = provider.get("/exchange/access-logs/SCJG-0001/").content.decode()
    log = page.split('data-testid="access-log"')[1]
    assert "查询" in log and f"/exchange/receipts/{receipt.pk}/" in log and "exchange.access" not in log
    assert provider.get(f"/exchange/receipts/{receipt.pk}/").status_code == 200  # the provider may check it
    response = provider.get("/exchange/access-logs/SCJG-0001/?export=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("时间(北京时间)", "调用方", "方式", "详情") and rows[1][2] == "查询共享数据"
    empty = provider.get("/exchange/access-logs/SCJG-0001/?start=2000-01-01&end=2000-01-02").content.decode()
    assert "暂无调用记录" in empty
