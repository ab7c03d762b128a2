"""Loads through ``services.ingest_file``: formats, encodings, tolerance, dedupe, versions, atomicity, reports."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from regshare.core.models import AuditRecord, Notification
from regshare.ingest import services
from regshare.ingest.models import Load, LoadStatus, QualityReport
from regshare.lake import hooks, tables

from .helpers import company_row, company_rows, uscc, write_csv, write_json, write_xlsx


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_loads(make_resource, tmp_path, encoding):
    resource = make_resource()
    rows = company_rows(5)
    rows[0][1] = "柴桑区喆䶮商贸有限公司" if encoding == "gb18030" else "柴桑区鑫淼商贸有限公司"
    path = write_csv(tmp_path / "data.csv", rows, encoding=encoding, title="2026年1月 市场主体登记信息")
    result = services.ingest_file("test", path, resource)
    assert result.accepted, result.message
    assert (result.rows_in, result.rows_loaded, result.version) == (5, 5, 0)
    names = tables.read(resource.code, columns=["name"]).column("name").to_pylist()
    assert rows[0][1] in names
    assert result.load.encoding == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8(BOM)", "gbk": "GBK",
                                    "gb18030": "GB18030"}[encoding]


@pytest.mark.parametrize("writer", ["xlsx", "json", "json-wrapped", "ndjson"])
def test_other_formats_load(make_resource, tmp_path, writer):
    resource = make_resource()
    rows = company_rows(4)
    if writer == "xlsx":
        path = write_xlsx(tmp_path / "d.xlsx", rows, title="市场主体登记信息表")
    else:
        path = write_json(tmp_path / ("d.ndjson" if writer == "ndjson" else "d.json"), rows,
                          ndjson=writer == "ndjson", wrap=writer == "json-wrapped")
    result = services.ingest_file("test", path, resource)
    assert result.accepted, result.message
    assert result.rows_loaded == 4
    got = tables.read(resource.code)
    assert sorted(got.column("uscc").to_pylist()) == sorted(r[0] for r in rows)
    assert got.column("established").to_pylist()[0] == dt.date(2020, 1, 2)


def test_xlsx_real_dates_and_numbers(make_resource, tmp_path):
    resource = make_resource()
    row = company_row(1)
    row[6] = dt.datetime(2021, 3, 4)
    row[7] = 250.5
    result = services.ingest_file("test", write_xlsx(tmp_path / "d.xlsx", [row]), resource)
    assert result.accepted, result.message
    got = tables.read(resource.code).to_pylist()[0]
    assert got["established"] == dt.date(2021, 3, 4) and float(got["capital"]) == 250.5


def test_legacy_xls_with_title_row_date_cells_and_numbers(make_resource):
    """An Excel 97-2003 workbook (fixtures/market_entities.xls: a title row above the header, three
    companies, 成立日期 as real date cells, 注册资本 as number cells)."""
    resource = make_resource()
    result = services.ingest_file("test", Path(__file__).parent / "fixtures" / "market_entities.xls", resource)
    assert result.accepted, result.message
    assert result.load.file_format == "excel" and result.rows_loaded == 3 and result.rows_rejected == 0
    got = sorted(tables.read(resource.code).to_pylist(), key=lambda r: r["uscc"])
    assert [r["uscc"] for r in got] == [company_row(i)[0] for i in (1, 2, 3)]
    assert [r["established"] for r in got] == [dt.date(2020, 1, 4), dt.date(2020, 1, 5), dt.date(2020, 1, 6)]
    assert [float(r["capital"]) for r in got] == [102.5, 103.5, 104.5]


def test_a_replace_load_is_committed_files_whose_statistics_filter_correctly(make_resource, tmp_path):
    """A full replace is new Parquet files committed with Delta statistics; readers that skip files by
    those statistics (pyarrow, DuckDB) still find exactly the rows a plain scan finds."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

    resource = make_resource()
    rows = company_rows(30)
    for i, row in enumerate(rows):
        row[6] = (dt.date(2020, 1, 1) + dt.timedelta(days=i)).isoformat()
    services.ingest_file("test", write_csv(tmp_path / "a.csv", rows[:10]), resource)
    services.ingest_file("test", write_csv(tmp_path / "b.csv", rows), resource)
    table = DeltaTable(str(tables.table_path(resource.code)))
    assert len(table.file_uris()) == 1 and table.version() == 1  # a small load is one file
    everything = tables.read(resource.code)
    dataset = tables.dataset(resource.code)
    for expression in (ds.field("uscc") == rows[17][0], ds.field("established") >= dt.date(2020, 1, 25),
                       ds.field("uscc") == "913604029999999999", ds.field("name") == rows[5][1],
                       ds.field("name") > "柴桑区测试2"):
        expected = everything.filter(expression).num_rows
        assert dataset.to_table(filter=expression).num_rows == expected
    assert everything.num_rows == 30 and pc.count(everything.column("established")).as_py() == 30
    assert tables.read(resource.code, version=0).num_rows == 10  # the first version reads as it was


def test_word_and_pdf_are_attachments_not_data(make_resource, tmp_path):
    resource = make_resource()
    doc = tmp_path / "说明.pdf"
    doc.write_bytes(b"%PDF-1.4 test")
    with pytest.raises(ValidationError) as err:
        services.ingest_file("test", doc, resource)
    assert err.value.code == "attachment_only"
    result = services.ingest_file("test", write_csv(tmp_path / "d.csv", company_rows(2)), resource, attachments=[doc])
    assert [a.name for a in result.load.attachments.all()] == ["说明.pdf"]


def test_within_tolerance_valid_rows_load_and_invalid_are_reported(make_resource, tmp_path):
    resource = make_resource()
    rows = company_rows(40)
    rows[3][0] = rows[3][0][:17] + ("0" if rows[3][0][17] != "0" else "1")  # wrong check char
    rows[10][4] = "12345"                                                       # bad mobile
    result = services.ingest_file("test", write_csv(tmp_path / "d.csv", rows), resource)
    assert result.accepted
    assert (result.rows_in, result.rows_loaded, result.rows_rejected) == (40, 38, 2)
    assert [(e["row"], e["field"]) for e in result.errors] == [(5, "统一社会信用代码"), (12, "联系电话")]
    assert result.quality["validity"] == pytest.approx(38 / 40)
    assert tables.row_count(resource.code) == 38
    assert tables.history(resource.code)[0]["rows"] == 38
    report = QualityReport.objects.get(load=result.load)
    assert report.validity == pytest.approx(0.95)
    feedback = Notification.objects.filter(department=resource.provider, kind="ingest.quality").latest("id")
    assert "2 行无效" in feedback.title


def test_above_tolerance_nothing_loads_and_previous_version_stays(make_resource, tmp_path):
    resource = make_resource()
    services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(10)), resource)
    rows = company_rows(20, start=100)
    for r in rows[:2]:
        r[6] = "不详"  # 2 of 20 = 10% > 5%
    result = services.ingest_file("test", write_csv(tmp_path / "b.csv", rows), resource)
    assert not result.accepted and result.load.status == LoadStatus.REJECTED
    assert "超过该资源可容忍的 5.00%" in result.message
    assert result.version is None and tables.current_version(resource.code) == 0
    assert tables.row_count(resource.code) == 10


def test_missing_required_column_rejects_whole_file(make_resource, tmp_path):
    resource = make_resource()
    path = write_csv(tmp_path / "d.csv", [r[1:] for r in company_rows(3)], header=company_rows(0) or
                     ["企业名称", "法定代表人", "身份证号", "联系电话", "住所", "成立日期", "注册资本(万元)", "行业代码", "登记状态"])
    result = services.ingest_file("test", path, resource)
    assert not result.accepted and "缺少必填字段:统一社会信用代码" in result.message
    assert tables.current_version(resource.code) is None


def test_duplicates_on_key_keep_the_last_row(make_resource, tmp_path):
    resource = make_resource()
    rows = company_rows(5)
    rows.append(company_row(2, 企业名称="柴桑区更名后有限公司"))
    result = services.ingest_file("test", write_csv(tmp_path / "d.csv", rows), resource)
    assert (result.rows_in, result.rows_loaded, result.duplicates) == (6, 5, 1)
    assert result.quality["uniqueness"] == pytest.approx(5 / 6)
    by_code = {r["uscc"]: r["name"] for r in tables.read(resource.code).to_pylist()}
    assert by_code[uscc(2)] == "柴桑区更名后有限公司"


def test_merge_mode_upserts_and_versions_travel(make_resource, tmp_path):
    resource = make_resource()
    first = services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(3)), resource)
    time.sleep(0.05)
    between = dt.datetime.now(dt.UTC)
    time.sleep(0.05)
    change = [company_row(3, 登记状态="注销"), company_row(4)]
    second = services.ingest_file("test", write_csv(tmp_path / "b.csv", change), resource, mode="merge")
    assert (first.version, second.version) == (0, 1)
    now = {r["uscc"]: r["status"] for r in tables.read(resource.code).to_pylist()}
    assert len(now) == 4 and now[uscc(3)] == "注销"
    assert tables.read(resource.code, version=0).num_rows == 3
    assert tables.read(resource.code, as_of=between).num_rows == 3
    changed = {r["uscc"]: r["_change_type"] for r in tables.changes(resource.code, 0).to_pylist()}
    assert changed == {uscc(3): "update", uscc(4): "insert"}


def test_failure_during_write_leaves_previous_version_readable(make_resource, tmp_path, monkeypatch):
    resource = make_resource()
    services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(3)), resource)
    real_write = tables.write

    def crash(code, data, **kw):
        def batches():
            for batch in data:
                yield batch
                raise OSError("写入中断")

        import pyarrow as pa

        return real_write(code, pa.RecordBatchReader.from_batches(data.schema, batches()), **kw)

    monkeypatch.setattr(tables, "write", crash)
    result = services.ingest_file("test", write_csv(tmp_path / "b.csv", company_rows(8, start=50)), resource)
    assert result.load.status == LoadStatus.FAILED and "原有数据版本未受影响" in result.message
    assert tables.current_version(resource.code) == 0
    assert sorted(tables.read(resource.code).column("uscc").to_pylist()) == sorted(uscc(i) for i in (1, 2, 3))


def test_hooks_fire_after_the_load_is_recorded(make_resource, tmp_path):
    resource = make_resource()
    seen = []

    def on_version(code, version, mode):
        seen.append((code, version, mode, Load.objects.get(resource__code=code, version=version).status))

    hooks.on_version_written(on_version)
    try:
        services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(2)), resource)
    finally:
        hooks.remove(on_version)
    assert seen == [(resource.code, 0, "replace", LoadStatus.LOADED)]


def test_load_is_audited(make_resource, tmp_path):
    resource = make_resource()
    result = services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(2)), resource)
    actions = set(AuditRecord.objects.filter(target__contains=f"{result.load.pk}").values_list("action", flat=True))
    assert {"ingest.load.create", "ingest.load.finish"} <= actions


def test_rejects_download_csv_and_xlsx(make_resource, tmp_path, principal_of_user):
    resource = make_resource(max_invalid_fraction=0.5)
    rows = company_rows(4)
    rows[1][9] = "作废"
    rows.append(company_row(1))
    result = services.ingest_file("test", write_csv(tmp_path / "a.csv", rows), resource)
    body, name, _ = services.rejects_download(principal_of_user("scjg_liaison"), result.load, "csv")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "行号,字段,原始值,问题原因"
    assert "3,登记状态,作废,不在枚举值范围内" in text
    assert "主键重复,已去重(保留第 6 行)" in text
    assert name.endswith(".csv")
    xbody, xname, _ = services.rejects_download(principal_of_user("scjg_liaison"), result.load, "xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xbody)).active
    assert [c.value for c in sheet[1]] == ["行号", "字段", "原始值", "问题原因"]
    assert sheet.max_row == 3


def test_other_department_cannot_load_or_see(make_resource, tmp_path, principal_of_user):
    from django.core.exceptions import PermissionDenied

    resource = make_resource()
    with pytest.raises(PermissionDenied):
        services.ingest_file(principal_of_user("fgj_liaison"), write_csv(tmp_path / "a.csv", company_rows(1)),
                             resource)
    assert not Load.objects.filter(resource=resource).exists()
    result = services.ingest_file(principal_of_user("scjg_liaison"), write_csv(tmp_path / "a.csv", company_rows(1)),
                                  resource)
    with pytest.raises(PermissionDenied):
        services.rejects_download(principal_of_user("fgj_liaison"), result.load)
    assert result.load in Load.objects.visible_to(principal_of_user("admin"))


def test_timeliness_against_update_frequency(make_resource, tmp_path):
    from django.utils import timezone

    resource = make_resource(frequency="daily")
    first = services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(2)), resource)
    Load.objects.filter(pk=first.load.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    second = services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(2)), resource)
    assert second.quality["timeliness"] == pytest.approx(2 / 8, abs=0.01)
    assert services.resource_timeliness(resource) == 1.0


def test_accepted_rows_are_copied_one_file_per_thread_beside_the_files_already_there(tmp_path):
    from regshare.ingest import pipeline

    con = pipeline._connect()
    con.execute("SET threads = 2")
    con.execute("CREATE TABLE t AS SELECT range AS n, 'v' || range AS s FROM range(400000)")
    (tmp_path / "earlier.parquet").write_bytes(b"kept")
    files = pipeline.AcceptedRows(con, "SELECT n, s FROM t WHERE n % 7 <> 0").copy_parquet(str(tmp_path))
    assert (tmp_path / "earlier.parquet").read_bytes() == b"kept"
    names = [name for name, _rows, _stats in files]
    assert all(name.startswith("part-") and name.endswith("-c000.snappy.parquet") for name in names)
    expected = 400000 - len(range(0, 400000, 7))
    assert sum(rows for _name, rows, _stats in files) == expected
    paths = [str(tmp_path / name) for name in names]
    assert con.execute("SELECT count(*), count(DISTINCT n) FROM read_parquet(?)", [paths]).fetchone() == (
        expected, expected)
    assert min(int(stats["n"]["min"]) for *_, stats in files) == 1
    assert max(int(stats["n"]["max"]) for *_, stats in files) == 399999
    con.close()
