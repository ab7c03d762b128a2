"""Row numbers of a large file checked on several threads are still its line numbers: the rejected-row report and
the duplicate kept ("the last one wins") depend on them."""

from __future__ import annotations

import csv

import pytest

from regshare.ingest import pipeline, readers
from regshare.ingest.rules import FieldSpec
from regshare.lake import engine

STATES = ("存续", "在业", "吊销", "注销", "迁出", "停业", "清算", "撤销", "歇业", "其他")
FIELDS = [FieldSpec("序号", "seq", "integer", True, True), FieldSpec("名称", "name", "string", True),
          FieldSpec("状态", "state", "enum", enumeration=STATES)]
ROWS = 150_000  # more than one DuckDB row group (122,880 rows) and CSV buffer (~40 MB), so that threads share the file
PADDING = "九江市柴桑区沙河街道柴桑大道" * 5


@pytest.fixture
def four_threads(monkeypatch):
    bulk = engine.bulk_settings
    monkeypatch.setattr(engine, "bulk_settings", lambda **kw: bulk(**{**kw, "threads": 4}))


def test_reported_rows_are_file_lines_when_checked_on_several_threads(tmp_path, four_threads):
    rows = [[n, f"测试企业{n}{PADDING}", STATES[n % len(STATES)]] for n in range(1, ROWS + 1)]
    rows[2][2] = "未知状态"  # file line 4 (line 1 is the header)
    rows[139_998][2] = "营业中"  # file line 140,000
    rows[9][0] = rows[129_998][0] = 777_777  # the same key on lines 11 and 130,000: line 130,000 is kept
    path = tmp_path / "large.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["序号", "名称", "状态"])
        writer.writerows(rows)
    written = {}

    def write(data, _rows):
        table = data.to_arrow_table() if isinstance(data, pipeline.AcceptedRows) else data
        written.update((r["seq"], r["name"]) for r in table.select(["seq", "name"]).to_pylist())
        return 1

    rejects = tmp_path / "rejects.parquet"
    result = pipeline.run(readers.open_csv(path, FIELDS), FIELDS, write=write, rejects_path=rejects)
    assert (result.rows_in, result.rows_rejected, result.duplicates) == (ROWS, 2, 1)
    assert [(e["row"], e["value"]) for e in result.errors] == [(4, "未知状态"), (140_000, "营业中")]
    assert written[777_777] == f"测试企业129999{PADDING}"  # the later line's row, not line 11's
    import pyarrow.parquet as pq

    report = pq.read_table(rejects).to_pylist()
    assert [(r["row"], r["value"]) for r in report] == [(4, "未知状态"), (11, "777777"), (140_000, "营业中")]
    assert "保留第 130000 行" in report[1]["reason"]
