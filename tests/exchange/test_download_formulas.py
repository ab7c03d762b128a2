"""Downloads never hand the consumer's spreadsheet program a formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from regshare.lake import tables as lake

from .conftest import registry_table

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "  =1", "\r\n=1+1"]
FIELDS = ("uscc", "name", "capital")


@pytest.fixture
def token(resource, granted, token_for):
    import pyarrow as pa

    table = registry_table()
    names = [PAYLOADS[i] if i < len(PAYLOADS) else table.column("name")[i].as_py() for i in range(table.num_rows)]
    table = table.set_column(table.schema.get_field_index("name"), "name", pa.array(names, pa.string()))
    table = table.set_column(table.schema.get_field_index("capital"), "capital",
                             pa.array([-float(i) - 0.5 for i in range(table.num_rows)], pa.float64()))
    lake.write("SCJG-0001", table, mode="replace")
    return token_for(granted(fields=FIELDS))


def _download(api, token, fmt: str) -> bytes:
    response = api("get", "/api/v1/resources/SCJG-0001/download", token, data={"format": fmt, "sort": "uscc"})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def test_csv_download_quotes_formula_text_and_keeps_numbers(api, token):
    rows = list(csv.DictReader(io.StringIO(_download(api, token, "csv").decode("utf-8-sig"))))
    names = [row["name"] for row in rows]
    for i, payload in enumerate(PAYLOADS):
        assert names[i] == "'" + payload
    assert names[len(PAYLOADS)] == "九江市柴桑区测试企业7有限公司"  # ordinary text is unchanged
    assert float(rows[3]["capital"]) == -3.5  # a negative number stays a plain number


def test_xlsx_download_writes_text_cells_never_formulas(api, token):
    data = _download(api, token, "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    name_col, capital_col = header.index("name") + 1, header.index("capital") + 1
    for i, payload in enumerate(PAYLOADS, start=2):
        cell = sheet.cell(row=i, column=name_col)
        assert cell.data_type != "f" and cell.value == payload
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet.cell(row=5, column=capital_col).value == -3.5
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert b"<f>" not in book.read("xl/worksheets/sheet1.xml")
