"""Data access with a grant-bound token: only granted fields, masking, filters, sort, cursor pages,
as_of, downloads in three formats, receipts verified offline, and 401 for forged/expired tokens."""

from __future__ import annotations

import datetime as dt
import io
import json

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from regshare.cli import main as cli
from regshare.core.models import ApiToken, AuditRecord
from regshare.exchange.masking import mask_value
from regshare.lake import tables as lake

from .conftest import registry_table

ROWS_URL = "/api/v1/resources/SCJG-0001/rows"
FIELDS = ["uscc", "name", "legal_rep", "legal_rep_id", "phone", "address"]
TAGS = {"uscc": "uscc", "name": "company_name", "legal_rep": "person_name", "legal_rep_id": "id_card",
        "phone": "mobile", "address": "address"}


@pytest.fixture
def token(granted, token_for):
    return token_for(granted())


def expected_row(i: int) -> dict:
    raw = registry_table().slice(i, 1).to_pylist()[0]
    return {f: mask_value(TAGS[f], raw[f]) for f in FIELDS}


def test_rows_show_only_granted_fields_masked(api, token):
    body = api("get", ROWS_URL, token, data={"uscc": "91360404MA3500005X"}).json()
    assert body["fields"] == FIELDS
    assert body["rows"] == [expected_row(5)]
    row = body["rows"][0]
    assert row["legal_rep"] == "欧阳**" and row["legal_rep_id"] == "360404********0005"
    assert row["phone"] == "138****0005" and row["address"] == "江西省九江市柴桑区********"
    assert row["uscc"] == "91360404MA3500005X" and row["name"].endswith("有限公司")  # never masked


def test_clear_text_only_where_the_grant_allows(api, granted, token_for):
    token = token_for(granted(fields=("uscc", "phone", "legal_rep_id"), clear=("phone",)))
    row = api("get", ROWS_URL, token, data={"uscc": "91360404MA3500001X"}).json()["rows"][0]
    assert row == {"uscc": "91360404MA3500001X", "phone": "13800000001", "legal_rep_id": "360404********0001"}


@pytest.mark.parametrize("params, code", [
    ({"capital": "100"}, "field_not_granted"),
    ({"sort": "-capital"}, "field_not_granted"),
    ({"fields": "uscc,capital"}, "field_not_granted"),
    ({"uscc__like": "x"}, "bad_filter"),
    ({"limit": "5000"}, "bad_limit"),
    ({"cursor": "garbage!"}, "bad_cursor"),
    ({"version": "999"}, "bad_version"),
    ({"as_of": "yesterday"}, "bad_as_of"),
])
def test_bad_queries_get_a_clear_400(api, token, params, code):
    response = api("get", ROWS_URL, token, data=params)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_filters_sort_and_cursor_pages(api, granted, token_for):
    token = token_for(granted(fields=("uscc", "capital", "industry")))
    first = api("get", ROWS_URL, token, data={"industry": "C13", "sort": "-capital", "limit": 4}).json()
    assert [r["capital"] for r in first["rows"]] == [129.0, 127.0, 125.0, 123.0]
    seen = [r["uscc"] for r in first["rows"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api("get", ROWS_URL, token, data={"industry": "C13", "sort": "-capital", "limit": 4,
                                                 "cursor": cursor}).json()
        seen += [r["uscc"] for r in page["rows"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 15
    ranged = api("get", ROWS_URL, token, data={"capital__gte": "110", "capital__lt": "112"}).json()
    assert sorted(r["capital"] for r in ranged["rows"]) == [110.0, 111.0]
    listed = api("get", ROWS_URL, token, data={"uscc__in": "91360404MA3500001X,91360404MA3500002X"}).json()
    assert len(listed["rows"]) == 2
    wrong_type = api("get", ROWS_URL, token, data={"capital__gte": "abc"})
    assert wrong_type.status_code == 400 and wrong_type.json()["code"] == "bad_filter_value"


def test_cursor_is_pinned_to_its_version_and_as_of_reads_the_past(api, token):
    first = api("get", ROWS_URL, token, data={"limit": 10}).json()
    old_version = first["version"]
    lake.write("SCJG-0001", registry_table(name_suffix="(新)"), mode="replace")
    second = api("get", ROWS_URL, token, data={"limit": 10, "cursor": first["next_cursor"]}).json()
    assert second["version"] == old_version
    assert not any(r["name"].endswith("(新)") for r in second["rows"])
    now = api("get", ROWS_URL, token, data={"limit": 1}).json()
    assert now["version"] == old_version + 1 and now["rows"][0]["name"].endswith("(新)")
    by_version = api("get", ROWS_URL, token, data={"limit": 1, "version": old_version}).json()
    assert not by_version["rows"][0]["name"].endswith("(新)")
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert api("get", ROWS_URL, token, data={"as_of": future}).json()["version"] == old_version + 1
    assert api("get", ROWS_URL, token, data={"as_of": "2001-01-01"}).json()["code"] == "bad_as_of"


def test_every_access_is_audited(api, token):
    before = AuditRecord.objects.filter(action="exchange.access.query").count()
    api("get", ROWS_URL, token, data={"uscc": "91360404MA3500003X"})
    record = AuditRecord.objects.filter(action="exchange.access.query").first()
    assert AuditRecord.objects.filter(action="exchange.access.query").count() == before + 1
    detail = json.loads(record.detail)
    assert record.target == "resource:SCJG-0001" and detail["rows"] == 1 and len(detail["sha256"]) == 64


@pytest.mark.parametrize("header", ["Bearer rs_forged-token-value", "Bearer nonsense", "Basic abc"])
def test_forged_tokens_get_401(client, resource, header):
    response = client.get(ROWS_URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_expired_token_gets_401(api, token):
    ApiToken.objects.update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert api("get", ROWS_URL, token).status_code == 401


def test_token_of_another_resource_grant_or_plain_token_is_refused(api, resource, principal_of_user):
    from regshare.core.services import issue_token

    plain = issue_token(principal_of_user("xzsp_admin"), department=principal_of_user("xzsp_admin").department,
                        name="无授权", scopes=["exchange.access"]).secret
    response = api("get", ROWS_URL, plain)
    assert response.status_code == 403


def test_people_without_a_grant_are_refused(client_as, resource):
    assert client_as("fgj_liaison").get(ROWS_URL).status_code == 403


def _download(api, token, fmt, **extra):
    response = api("get", "/api/v1/resources/SCJG-0001/download", token, data={"format": fmt, **extra})
    assert response.status_code == 200, response.content[:300]
    return response, b"".join(response.streaming_content)


def _rows_of(fmt: str, data: bytes) -> list[dict]:
    if fmt == "csv":
        return pacsv.read_csv(io.BytesIO(data[3:]), convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(FIELDS, "string"))).to_pylist()
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(data)).to_pylist()
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def test_a_download_may_carry_chinese_headers_and_refuses_an_unknown_header_kind(api, token):
    _response, data = _download(api, token, "csv", header="name")
    first_line = data[3:].decode("utf-8").splitlines()[0]
    assert first_line.startswith('"统一社会信用代码","企业名称"') and "uscc" not in first_line
    refused = api("get", "/api/v1/resources/SCJG-0001/download", token, data={"format": "csv", "header": "x"})
    assert refused.status_code == 400 and refused.json()["code"] == "bad_headers"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_downloads_mask_exactly_like_the_api(api, token, fmt):
    _response, data = _download(api, token, fmt)
    rows = _rows_of(fmt, data)
    assert len(rows) == 30
    by_key = {r["uscc"]: r for r in rows}
    for i in (0, 5, 17):
        assert by_key[f"91360404MA35{i:05d}X"] == expected_row(i)
    record = AuditRecord.objects.filter(action="exchange.access.download").first()
    detail = json.loads(record.detail)
    assert detail["rows"] == 30 and detail["query"]["format"] == fmt


def test_download_receipt_names_the_bytes_sent(api, token, tmp_path, capsys):
    response, data = _download(api, token, "csv", receipt="1")
    receipt_id = response["X-Regshare-Receipt-Id"]
    document = api("get", f"/api/v1/receipts/{receipt_id}", token).json()
    import hashlib

    assert document["receipt"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert document["receipt"]["rows"] == 30


def test_receipt_verifies_offline_and_tampering_fails(api, token, tmp_path, capsys):
    body = api("get", ROWS_URL, token, data={"uscc": "91360404MA3500007X", "receipt": "1"}).json()
    document = body["receipt"]
    receipt = document["receipt"]
    assert receipt["rows"] == 1 and receipt["resource"] == "SCJG-0001" and receipt["grant"]
    assert receipt["resource_version"] == body["version"] and receipt["query"]["uscc"] == "91360404MA3500007X"
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(document, ensure_ascii=False))
    key_file = tmp_path / "platform.pub"
    assert cli(["receipt", "public-key"]) == 0
    key_file.write_text(capsys.readouterr().out.strip())
    assert cli(["receipt", "verify", str(good), "--public-key", str(key_file)]) == 0
    document["receipt"]["rows"] = 2
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(document, ensure_ascii=False))
    assert cli(["receipt", "verify", str(bad), "--public-key", str(key_file)]) == 1


def test_private_key_file_is_private(token, api, settings):
    import os
    import stat

    api("get", ROWS_URL, token, data={"receipt": "1", "limit": 1})
    mode = stat.S_IMODE(os.stat(settings.DATA_DIR / "keys" / "receipt-ed25519.pem").st_mode)
    assert mode == 0o600


def test_public_key_endpoint(client):
    from regshare.exchange.receipts import public_key_text

    assert client.get("/api/v1/receipts/public-key").json()["public_key"] == public_key_text()


def test_access_log_page_for_the_provider(api, token, client_as):
    api("get", ROWS_URL, token, data={"limit": 1})
    page = client_as("scjg_liaison").get("/exchange/access-logs/SCJG-0001/")
    text = page.content.decode()
    assert page.status_code == 200 and "<td>查询" in text and "exchange.access.query" not in text
    assert client_as("fgj_liaison").get("/exchange/access-logs/SCJG-0001/").status_code == 403


def test_row_filter_of_the_grant_limits_rows(api, granted, token_for):
    token = token_for(granted(fields=("uscc", "status"), row_filter={"status": ["在业"]}))
    rows = api("get", ROWS_URL, token, data={"limit": 100}).json()["rows"]
    assert len(rows) == 10 and {r["status"] for r in rows} == {"在业"}
    assert api("get", ROWS_URL, token, data={"uscc": "91360404MA3500001X"}).json()["rows"] == []
    assert len(api("get", ROWS_URL, token, data={"uscc": "91360404MA3500003X"}).json()["rows"]) == 1


# ----------------------------------------------------------------------------- masked fields are not a key to the data

TARGET_ID = "360404199001010017"  # legal_rep_id of row 17 of the registry table, shown as 360404********0017


def test_binary_search_for_a_masked_id_card_gets_only_400s(api, token):
    """The attack that recovered an ID card in 28 requests: halve the range with ``__gte`` and watch
    whether the row comes back. Every probe is refused, with nothing of the rows in the answer."""
    low, high = 360404190000000000, 360404209912319999
    probes = 0
    while low < high and probes < 28:
        middle = (low + high + 1) // 2
        response = api("get", ROWS_URL, token, data={"uscc": "91360404MA3500017X", "legal_rep_id__gte": str(middle)})
        probes += 1
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "field_masked" and "rows" not in body
        assert "身份证号" in body["message"] and "脱敏" in body["message"]
        assert TARGET_ID not in response.content.decode()
        # Whatever the answer, the attacker learns nothing: both branches of the search look the same.
        high = middle - 1
    assert probes == 28


@pytest.mark.parametrize("params", [
    {"legal_rep_id": TARGET_ID},
    {"legal_rep_id__gte": "360404199001010000"},
    {"legal_rep_id__lt": "4"},
    {"legal_rep_id__ne": TARGET_ID},
    {"legal_rep_id__in": f"{TARGET_ID},360404199001010018"},
    {"legal_rep_id__contains": "19900101"},
    {"phone__gte": "13800000017"},
    {"legal_rep": "张三丰"},
    {"address__contains": "民主路17号"},
    {"sort": "legal_rep_id"},
    {"sort": "uscc,-phone"},
])
def test_filter_or_sort_on_a_masked_field_is_refused(api, token, params):
    response = api("get", ROWS_URL, token, data=params)
    assert response.status_code == 400
    assert response.json()["code"] == "field_masked"
    download = api("get", "/api/v1/resources/SCJG-0001/download", token, data={"format": "csv", **params})
    assert download.status_code == 400 and download.json()["code"] == "field_masked"
    assert not AuditRecord.objects.filter(action__startswith="exchange.access").exists()


def test_a_field_the_grant_shows_in_clear_can_be_filtered(api, granted, token_for):
    token = token_for(granted(fields=("uscc", "legal_rep_id", "phone"), clear=("legal_rep_id",)))
    rows = api("get", ROWS_URL, token, data={"legal_rep_id": TARGET_ID}).json()["rows"]
    assert rows == [{"uscc": "91360404MA3500017X", "legal_rep_id": TARGET_ID, "phone": "138****0017"}]
    refused = api("get", ROWS_URL, token, data={"phone": "13800000017"})
    assert refused.status_code == 400 and "联系电话" in refused.json()["message"]


@pytest.fixture
def keyed_by_id_card(resource, monkeypatch):
    """SCJG-0001 keyed by the masked ID card, so equality on it would go through the key index."""
    from regshare.exchange import services

    resource.fields.update(is_key=False)
    resource.fields.filter(code_name="legal_rep_id").update(is_key=True)
    services.forget_metadata()  # the key fields are cached per process, and .update() sends no signal
    return resource


def test_key_lookup_by_a_masked_key_is_refused(api, keyed_by_id_card, granted, token_for):
    masked = token_for(granted())
    response = api("get", ROWS_URL, masked, data={"legal_rep_id": TARGET_ID})
    assert response.status_code == 400 and response.json()["code"] == "field_masked"
    clear = token_for(granted(user="fgj_liaison", fields=("uscc", "legal_rep_id"), clear=("legal_rep_id",)))
    rows = api("get", ROWS_URL, clear, data={"legal_rep_id": TARGET_ID}).json()["rows"]
    assert rows == [{"uscc": "91360404MA3500017X", "legal_rep_id": TARGET_ID}]


def test_pages_do_not_follow_the_order_of_a_masked_key(api, keyed_by_id_card, token):
    """Without a sort, pages follow the key; a masked key must not put the rows in the order of its true values."""
    seen, cursor = [], None
    while True:
        data = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        page = api("get", ROWS_URL, token, data=data).json()
        seen += [r["uscc"] for r in page["rows"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 30  # the cursor still walks every row once
    assert seen != sorted(seen)  # uscc and the ID card rise together in the registry table
