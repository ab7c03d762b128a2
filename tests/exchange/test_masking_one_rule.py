"""One masking rule for every page and download: a person's name, ID card and phone read the same on the
entity page, the grant's data page, the query API and each download, for the department that reads
them — clear where its grant allows the field in clear for that row, masked otherwise."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from regshare.core.codes import uscc_check_char
from tests.exchange.conftest import registry_table

ROW = 5  # 九江市柴桑区测试企业5有限公司, legal representative 欧阳三丰 (a compound surname)
USCC = f"91360404MA35{ROW:05d}" + uscc_check_char(f"91360404MA35{ROW:05d}")


@pytest.fixture
def entity(resource):
    """Row ROW of SCJG-0001 with a valid code (the entity page opens only for one) and its entity."""
    import pyarrow as pa

    from regshare.entities.models import Entity
    from regshare.lake import tables as lake

    table = registry_table()
    codes = table.column("uscc").to_pylist()
    codes[ROW] = USCC
    lake.write("SCJG-0001", table.set_column(0, "uscc", pa.array(codes)), mode="replace")
    row = table.slice(ROW, 1).to_pylist()[0]
    # writing the master table may already have registered the entity
    return Entity.objects.update_or_create(uscc=USCC, defaults={
        "name": row["name"], "name_norm": row["name"], "legal_rep": row["legal_rep"],
        "legal_rep_id": row["legal_rep_id"], "phone": row["phone"], "address": row["address"]})[0]


def _identity_on_entity_page(client, uscc: str) -> dict[str, str]:
    page = client.get(f"/entities/{uscc}/").content.decode()
    table = page.split("<h2>基本信息</h2>")[1].split("</table>")[0]
    cells = [c.split("</td>")[0] for c in table.split("<td>")[1:]]
    return {"legal_rep": cells[2], "legal_rep_id": cells[3], "phone": cells[4]}


def _download_row(client, grant, fmt: str) -> dict[str, str]:
    response = client.get(f"/exchange/grants/{grant.pk}/download/?format={fmt}&field=uscc&value={USCC}")
    data = b"".join(response.streaming_content)
    if fmt == "xlsx":
        rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    else:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return dict(zip(rows[0], rows[1], strict=True))


@pytest.mark.parametrize("clear", [(), ("legal_rep",), ("legal_rep", "legal_rep_id", "phone")])
def test_every_channel_shows_the_same_values(client_as, granted, token_for, api, entity, clear):
    grant = granted(fields=("uscc", "name", "legal_rep", "legal_rep_id", "phone"), clear=clear)
    client = client_as("xzsp_liaison")
    on_page = _identity_on_entity_page(client, USCC)
    from_api = api("get", f"/api/v1/resources/SCJG-0001/rows?uscc={USCC}", token_for(grant)).json()["rows"][0]
    client = client_as("xzsp_liaison")
    data_page = client.get(f"/exchange/grants/{grant.pk}/data/?field=uscc&value={USCC}").content.decode()
    for fmt in ("xlsx", "csv"):
        row = _download_row(client, grant, fmt)
        for code, header in (("legal_rep", "法定代表人"), ("legal_rep_id", "身份证号"), ("phone", "联系电话")):
            assert row[header] == from_api[code] == on_page[code], (fmt, code)
            assert from_api[code] in data_page
    assert (on_page["legal_rep"] == "欧阳三丰") == ("legal_rep" in clear)
    assert on_page["legal_rep"] in ("欧阳三丰", "欧阳**")


def test_a_clear_grant_for_other_rows_does_not_unmask_this_one(client_as, granted, principal_of_user, entity):
    # one grant reaches every row with the name masked; another shows it in clear for other rows only
    granted(fields=("uscc", "name", "legal_rep"))
    clear_elsewhere = granted(fields=("uscc", "name", "legal_rep"), clear=("legal_rep",),
                              row_filter={"uscc": ["91360404MA3500001X"]})
    client = client_as("xzsp_liaison")
    assert _identity_on_entity_page(client, USCC)["legal_rep"] == "欧阳**"
    assert _download_row(client, clear_elsewhere, "csv")["法定代表人"] == "欧阳**"
    other = client.get(f"/exchange/grants/{clear_elsewhere.pk}/download/?format=csv&field=uscc&value=91360404MA3500001X")
    rows = list(csv.reader(io.StringIO(b"".join(other.streaming_content).decode("utf-8-sig"))))
    assert dict(zip(rows[0], rows[1], strict=True))["法定代表人"] == "张三丰"
