"""The problem-row file gives back the provider's raw values as text, never as live formulas."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from regshare.core.permissions import Principal
from regshare.ingest import services

from .helpers import company_row, company_rows, write_csv

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "  =1"]


def _load_with_bad_dates(make_resource, tmp_path, user_named):
    resource = make_resource(max_invalid_fraction=0.5)
    rows = company_rows(10) + [company_row(100 + i, **{"成立日期": p}) for i, p in enumerate(PAYLOADS)]
    result = services.ingest_file("test", write_csv(tmp_path / "bad.csv", rows), resource)
    assert result.rows_rejected == len(PAYLOADS)
    return Principal.for_user(user_named("scjg_liaison")), result.load


def test_rejects_csv_quotes_formula_text(make_resource, tmp_path, user_named):
    principal, load = _load_with_bad_dates(make_resource, tmp_path, user_named)
    body, _name, _type = services.rejects_download(principal, load, "csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    values = [row[2] for row in rows[1:] if row[1] == "成立日期"]
    assert sorted(values) == sorted("'" + p for p in PAYLOADS)
    assert all(row[0].isdigit() for row in rows[1:])  # row numbers stay plain numbers


def test_rejects_xlsx_has_no_formula_cells(make_resource, tmp_path, user_named):
    principal, load = _load_with_bad_dates(make_resource, tmp_path, user_named)
    body, _name, _type = services.rejects_download(principal, load, "xlsx")
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert cells and all(c.data_type != "f" for c in cells)
    values = [row[2].value for row in sheet.iter_rows(min_row=2) if row[1].value == "成立日期"]
    assert sorted(values) == sorted(PAYLOADS)
    assert all(row[0].data_type == "n" for row in sheet.iter_rows(min_row=2))
