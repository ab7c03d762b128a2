"""One rule for every export: text that a spreadsheet could run as a formula is written as text."""

from __future__ import annotations

import io
import zipfile

import pyarrow as pa
import pytest
from openpyxl import Workbook, load_workbook

from regshare.core import exports

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "  =1", "\r=1", "\n-1", "\t"]
HARMLESS = ["柴桑区测试有限公司", "a=b", "1-2", "", "张三 @ 窗口"]


@pytest.mark.parametrize("value", PAYLOADS)
def test_csv_text_quotes_formula_like_text(value):
    assert exports.csv_text(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS + [-5, -2.5, None])
def test_csv_text_leaves_other_values(value):
    assert exports.csv_text(value) == value


def test_csv_table_quotes_text_columns_only_and_agrees_with_the_python_rule():
    text = PAYLOADS + HARMLESS + [None]
    table = pa.table({"text": pa.array(text, pa.string()), "big": pa.array(text, pa.large_string()),
                      "number": pa.array([-float(i) for i in range(len(text))])})
    out = exports.csv_table(table)
    expected = [exports.csv_text(v) for v in text]
    assert out.column("text").to_pylist() == expected and out.column("big").to_pylist() == expected
    assert out.column("number").equals(table.column("number")) and out.schema == table.schema


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_row_never_makes_a_formula(write_only):
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("x") if write_only else book.active
    sheet.append(exports.xlsx_row(sheet, [*PAYLOADS, -3, "bad\x01char"]))
    buffer = io.BytesIO()
    book.save(buffer)
    cells = list(load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0][1])
    assert [c.value for c in cells[:len(PAYLOADS) - 1]] == PAYLOADS[:-1]  # a lone tab is stored as an empty-looking cell
    assert all(c.data_type != "f" for c in cells)
    assert cells[len(PAYLOADS)].data_type == "n" and cells[-1].value == "badchar"
    with zipfile.ZipFile(buffer) as archive:
        sheet_xml = next(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
        assert b"<f>" not in archive.read(sheet_xml)


def test_share_list_export_writes_formula_text_as_text(principal_of_user):
    from regshare.catalog import transfer
    from regshare.catalog.models import Resource, Status

    resource = Resource.objects.filter(status=Status.PUBLISHED).order_by("code").first()
    resource.summary = PAYLOADS[0]
    resource.source_system = "@SUM(A1)"
    resource.save(update_fields=["summary", "source_system"])
    data = transfer.export_share_list(principal_of_user("scjg_liaison"), Resource.objects.filter(pk=resource.pk))
    sheet = load_workbook(io.BytesIO(data)).active
    row = [c for c in sheet[3]]
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    assert PAYLOADS[0] in [c.value for c in row] and "@SUM(A1)" in [c.value for c in row]
