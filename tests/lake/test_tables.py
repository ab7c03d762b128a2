"""The lake interface: versions, time travel, merge, changes, atomic writes, hooks."""

from __future__ import annotations

import datetime as dt
import time

import pyarrow as pa
import pytest

from regshare.lake import hooks, tables
from regshare.lake.tables import LakeError


@pytest.fixture
def code(request):
    name = "T-" + request.node.name.replace("[", "-").replace("]", "").replace("_", "-")[:60]
    tables.drop(name)
    yield name
    tables.drop(name)


def rows(**cols):
    return pa.table(cols)


def test_replace_versions_and_time_travel(code):
    assert tables.current_version(code) is None
    v0 = tables.write(code, rows(k=["a", "b"], v=[1, 2]))
    before_second = dt.datetime.now(dt.UTC)
    time.sleep(0.05)
    v1 = tables.write(code, rows(k=["a"], v=[9]))
    assert (v0, v1) == (0, 1)
    assert tables.current_version(code) == 1
    assert tables.read(code).to_pylist() == [{"k": "a", "v": 9}]
    assert sorted(tables.read(code, version=0).column("k").to_pylist()) == ["a", "b"]
    assert tables.read(code, as_of=before_second).num_rows == 2
    assert tables.read(code, columns=["v"], version=1).to_pylist() == [{"v": 9}]
    assert [h["version"] for h in tables.history(code)] == [1, 0]
    assert tables.history(code)[0]["rows"] == 1


def test_unknown_version_and_table(code):
    with pytest.raises(LakeError):
        tables.read(code)
    tables.write(code, rows(k=["a"]))
    with pytest.raises(LakeError):
        tables.read(code, version=5)
    with pytest.raises(LakeError):
        tables.read(code, columns=["nope"])


def test_bad_code_refused():
    with pytest.raises(LakeError):
        tables.read("../etc")


def test_merge_upserts_on_key_and_changes(code):
    tables.write(code, rows(k=["a", "b"], v=[1, 2]), key=["k"])
    v1 = tables.write(code, rows(k=["b", "c"], v=[20, 3]), mode="merge", key=["k"])
    got = {r["k"]: r["v"] for r in tables.read(code, version=v1).to_pylist()}
    assert got == {"a": 1, "b": 20, "c": 3}
    change = {r["k"]: r["_change_type"] for r in tables.changes(code, 0).to_pylist()}
    assert change == {"b": "update", "c": "insert"}


def test_changes_after_replace_reports_only_new_or_different_rows(code):
    tables.write(code, rows(k=["a", "b"], v=[1, 2]), key=["k"])
    tables.write(code, rows(k=["a", "b", "c"], v=[1, 5, 3]), key=["k"])
    got = sorted((r["k"], r["_change_type"]) for r in tables.changes(code, 0, 1).to_pylist())
    assert got == [("b", "update"), ("c", "insert")]
    assert tables.changes(code, 1).num_rows == 0


def test_interrupted_write_leaves_previous_version(code):
    tables.write(code, rows(k=["a", "b"], v=[1, 2]))
    schema = pa.schema([("k", pa.string()), ("v", pa.int64())])

    def batches():
        yield pa.record_batch([pa.array(["x"] * 1000), pa.array(range(1000))], schema=schema)
        raise RuntimeError("磁盘已满")

    reader = pa.RecordBatchReader.from_batches(schema, batches())
    with pytest.raises(Exception, match="磁盘已满"):
        tables.write(code, reader)
    assert tables.current_version(code) == 0
    assert sorted(tables.read(code).column("k").to_pylist()) == ["a", "b"]


def test_hooks_called_after_write_and_failures_isolated(code):
    seen = []

    def broken(c, v, m):
        raise ValueError("boom")

    def record(c, v, m):
        seen.append((c, v, m))

    hooks.on_version_written(broken)
    hooks.on_version_written(record)
    try:
        tables.write(code, rows(k=["a"]))
        tables.write(code, rows(k=["a"]), mode="merge", key=["k"])
    finally:
        hooks.remove(broken)
        hooks.remove(record)
    assert seen == [(code, 0, "replace"), (code, 1, "merge")]


def test_dataset_is_queryable_by_duckdb(code):
    import duckdb

    tables.write(code, rows(k=["a", "b", "c"]))
    con = duckdb.connect()
    con.register("t", tables.dataset(code))
    assert con.execute("select count(*) from t").fetchone()[0] == 3


class _TwoFiles:
    """A ``ParquetExport`` that writes its rows as two files, the way one DuckDB thread per file does."""

    def __init__(self, table: pa.Table, fail: bool = False) -> None:
        self.table, self.fail = table, fail
        self.schema = table.schema

    def copy_parquet(self, folder: str) -> list:
        import uuid

        import pyarrow.parquet as pq

        out = []
        half = self.table.num_rows // 2
        for part in (self.table.slice(0, half), self.table.slice(half)):
            name = f"part-{uuid.uuid4()}-c000.snappy.parquet"
            pq.write_table(part, f"{folder}/{name}")
            keys = part.column("k").to_pylist()
            out.append((name, part.num_rows, {"k": {"null_count": "0", "min": min(keys), "max": max(keys),
                                                    "min_is_exact": "true", "max_is_exact": "true"}}))
            if self.fail:
                raise OSError("写入中断")
        return out

    def to_arrow_table(self) -> pa.Table:
        return self.table


def test_export_of_several_files_is_one_version_that_replaces_the_last(code):
    import pyarrow.dataset as ds

    tables.write(code, rows(k=["old"], v=[0]))
    version = tables.write(code, _TwoFiles(rows(k=[f"k{i:03d}" for i in range(100)], v=list(range(100)))))
    assert version == 1 and tables.row_count(code) == 100
    assert sorted(tables.read(code).column("v").to_pylist()) == list(range(100))
    assert tables.dataset(code).to_table(filter=ds.field("k") == "k075").column("v").to_pylist() == [75]
    assert tables.read(code, version=0).column("k").to_pylist() == ["old"]
    with pytest.raises(OSError, match="写入中断"):
        tables.write(code, _TwoFiles(rows(k=["a", "b"], v=[1, 2]), fail=True))
    assert tables.current_version(code) == 1 and tables.row_count(code) == 100
