"""Spark as a query engine: the Delta table profile delta-rs, DuckDB and Spark all read the same way, safe
parameters, sessions that do not see each other's tables. Engine-neutral behaviour is tested once for every
engine in ``test_engine.py`` (``query_engine``)."""

from __future__ import annotations

import datetime as dt

import deltalake
import pyarrow as pa
import pytest

from regshare.lake import engine, spark, tables

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module", autouse=True)
def _one_local_core():
    import os

    os.environ.setdefault("REGSHARE_SPARK_CORES", "1")
    os.environ.setdefault("REGSHARE_SPARK_DRIVER_MEMORY", "512m")



def _rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: r["uscc"])


def test_a_multi_version_lake_table_reads_the_same_in_delta_rs_duckdb_and_spark(lake_code):
    first = pa.table({"uscc": ["91A", "91B"], "name": ["甲公司", "乙公司"], "capital": [100.5, 200.0],
                      "founded": pa.array([dt.date(2020, 1, 2), dt.date(2021, 3, 4)], pa.date32())})
    tables.write(lake_code, first, notify=False)
    changed = pa.table({"uscc": ["91B", "91C"], "name": ["乙公司(变更)", "丙公司"], "capital": [250.0, None],
                        "founded": pa.array([dt.date(2021, 3, 4), None], pa.date32())})
    tables.write(lake_code, changed, mode="merge", key=["uscc"], notify=False)
    tables.write(lake_code, pa.table({"uscc": ["91D"], "name": ["丁公司"], "capital": [1.0],
                                 "founded": pa.array([dt.date(2024, 5, 6)], pa.date32())}), notify=False)

    delta = deltalake.DeltaTable(tables.table_uri(lake_code))
    assert spark.profile_problems(delta) == []
    assert delta.version() == 2
    query = "SELECT uscc, name, capital, founded FROM t"
    for version, expected_count in ((0, 2), (1, 3), (2, 1)):
        by_delta_rs = _rows(tables.read(lake_code, version=version).select(["uscc", "name", "capital", "founded"]))
        with engine.session(engine="duckdb", tables={"t": engine.LakeTable(lake_code, version=version)}) as s:
            by_duckdb = _rows(s.table(query))
        with engine.session(engine="spark", tables={"t": engine.LakeTable(lake_code, version=version)}) as s:
            by_spark = _rows(s.table(query))
        assert len(by_delta_rs) == expected_count
        assert by_duckdb == by_delta_rs
        assert by_spark == by_delta_rs
    with engine.session(engine="spark", tables={"t": engine.LakeTable(lake_code, version=1)}) as s:
        assert s.table("SELECT name FROM t WHERE uscc = ?", ["91B"]).to_pylist() == [{"name": "乙公司(变更)"}]


def test_a_table_with_deletion_vectors_or_column_mapping_is_refused_by_spark(lake_code):
    tables.write(lake_code, pa.table({"uscc": ["91A"]}), notify=False)
    delta = deltalake.DeltaTable(tables.table_uri(lake_code))
    delta.alter.set_table_properties({"delta.enableDeletionVectors": "true"})
    assert spark.profile_problems(deltalake.DeltaTable(tables.table_uri(lake_code))) == ["deletionVectors"]
    with pytest.raises(engine.EngineError, match="deletionVectors"):
        engine.session(engine="spark", tables={"t": engine.LakeTable(lake_code)}).__enter__()


def test_values_are_bound_by_spark_and_identifiers_quoted_its_way():
    d = engine.get_engine("spark").dialect
    people = pa.table({"name": ["张三", "O'Brien", "a\\b"], "odd col": [1, 2, 3]})
    with engine.session(engine="spark", tables={"people": people}) as s:
        assert s.scalar(f"SELECT {d.quote('odd col')} FROM people WHERE name = ?", ["O'Brien"]) == 2
        assert s.scalar("SELECT count(*) FROM people WHERE name = ?", ["x' OR '1'='1"]) == 0
        assert s.scalar(f"SELECT {d.quote('odd col')} FROM people WHERE name = {d.literal('a' + chr(92) + 'b')}") == 3
        assert s.scalar(f"SELECT count(*) FROM people WHERE {d.in_placeholders('name', 2)}", ["张三", "a\\b"]) == 2
        assert s.table(f"SELECT name FROM people ORDER BY {d.quote('odd col')}{d.limit(1, 1)}").to_pylist() \
            == [{"name": "O'Brien"}]
        assert s.scalar(f"SELECT count(*) FROM people WHERE {d.contains(d.text(d.quote('odd col')), '?')}",
                        ["3"]) == 1


def test_sessions_do_not_see_each_others_tables():
    with engine.session(engine="spark", tables={"mine": pa.table({"n": [1]})}) as one, \
            engine.session(engine="spark", tables={"mine": pa.table({"n": [1, 2, 3]})}) as two:
        assert one.scalar("SELECT count(*) FROM mine") == 1
        assert two.scalar("SELECT count(*) FROM mine") == 3
    with engine.session(engine="spark") as later, pytest.raises(later.Error):
        later.scalar("SELECT count(*) FROM mine")


def test_a_large_arrow_table_goes_through_a_parquet_file_that_is_removed_on_close():
    import os

    rows = spark.LOCAL_ROWS + 1
    big = pa.table({"n": pa.array(range(rows), pa.int64())})
    with engine.session(engine="spark", tables={"big": big}) as s:
        folder = s.con.folder
        assert folder is not None
        assert s.table("SELECT count(*) AS c, sum(n) AS total FROM big").to_pylist() == \
            [{"c": rows, "total": rows * (rows - 1) // 2}]
    assert not os.path.exists(folder)


def test_check_characters_in_spark_sql_are_those_of_the_vectorised_rule():
    from regshare.core.codes import expected_check_chars
    from regshare.lake.spark_sql import check_character
    from tests.ingest.helpers import id_card, uscc

    values = [uscc(i) for i in range(0, 3000, 37)] + [uscc(5, prefix=p) for p in ("11", "31", "N3", "Y1", "A9")]
    values += [id_card(i, dt.date(1950 + i % 70, i % 12 + 1, i % 28 + 1)) for i in range(60)]
    values += ["9136040212345678", "94360402123456789X", "91A60402123456789X", "91360402I2345678XX", "913604021234567８9X",
               "913604021234567", "0360402198005170011", "36040219000229001X", "36040220991231001X", "", None,
               id_card(3).lower(), uscc(8).lower()]
    with engine.session(engine="spark", tables={"t": pa.table({"v": pa.array(values, pa.string())})}) as s:
        got = s.table(f"SELECT {check_character('uscc', 'v')} AS u, {check_character('id_card', 'v')} AS i FROM t")
    assert got.column("u").to_pylist() == expected_check_chars(pa.array(values, pa.string()), "uscc").to_pylist()
    assert got.column("i").to_pylist() == expected_check_chars(pa.array(values, pa.string()), "id_card").to_pylist()
    assert got.column("u").to_pylist()[:3] == [c[17] for c in values[:3]]


def test_tables_made_by_sql_in_a_session_are_dropped_and_uncached_on_close():
    d = engine.get_engine("spark").dialect
    with engine.session(engine="spark", tables={"src": pa.table({"n": [1, 2, 3]})}) as s:
        s.execute(d.create_table("kept", "SELECT n * 2 AS m FROM src"))
        s.execute(d.create_view("shown", "SELECT m FROM kept WHERE m > 2"))
        shared = s.con.spark
        assert shared.catalog.isCached("kept")
        assert s.scalar("SELECT sum(m) FROM shown") == 10
    assert not [t.name for t in shared.catalog.listTables() if t.isTemporary]
