"""The query engine: the one place that opens connections; sessions register lake tables and apply settings."""

from __future__ import annotations

import ast
from pathlib import Path

import pyarrow as pa
import pytest

import regshare
from regshare.lake import engine, tables

SRC = Path(regshare.__file__).parent
ENGINE_MODULE = SRC / "lake" / "engine.py"


def _connects(tree: ast.AST) -> list[int]:
    """Lines that call ``duckdb.connect`` (or ``connect`` imported from duckdb) or import duckdb at all."""
    lines = []
    connect_names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "duckdb":
            lines.append(node.lineno)
            connect_names |= {a.asname or a.name for a in node.names if a.name == "connect"}
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "duckdb" for a in node.names):
            lines.append(node.lineno)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "connect" and isinstance(func.value, ast.Name) \
                and func.value.id == "duckdb":
            lines.append(node.lineno)
        elif isinstance(func, ast.Name) and func.id in connect_names:
            lines.append(node.lineno)
    return sorted(set(lines))


def test_no_module_but_the_engine_imports_duckdb_or_connects():
    offenders = {}
    for path in sorted(SRC.rglob("*.py")):
        if path == ENGINE_MODULE:
            continue
        found = _connects(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if found:
            offenders[str(path.relative_to(SRC))] = found
    assert offenders == {}


def test_the_scan_finds_a_connection_opened_elsewhere():
    code = "import duckdb\ncon = duckdb.connect()\nfrom duckdb import connect as c\nc()\n"
    assert _connects(ast.parse(code)) == [1, 2, 3, 4]



def test_session_registers_lake_versions_and_arrow_tables(lake_code, query_engine):
    tables.write(lake_code, pa.table({"k": ["a", "b"], "v": [1, 2]}), notify=False)
    tables.write(lake_code, pa.table({"k": ["a", "b", "c"], "v": [1, 2, 3]}), notify=False)
    extra = pa.table({"k": ["c"]})
    with engine.session(tables={"now": engine.LakeTable(lake_code), "older": engine.LakeTable(lake_code, version=0),
                                "x": extra}) as s:
        assert s.scalar("SELECT count(*) FROM now") == 3
        assert s.scalar("SELECT count(*) FROM older") == 2
        assert s.table("SELECT now.v FROM now JOIN x USING (k)").to_pylist() == [{"v": 3}]
        assert s.table("SELECT k FROM now WHERE v >= ? AND k <> ? ORDER BY k", [2, "x' OR '1'='1"]).to_pylist() \
            == [{"k": "b"}, {"k": "c"}]
        assert s.dialect.name == query_engine
    assert s.con is None  # closed on exit


def test_session_applies_settings_and_bulk_session_spills_to_a_folder(tmp_path):
    with engine.session(threads=1, memory_limit="300MB") as s:
        assert s.scalar("SELECT current_setting('threads')") == 1
        assert s.setting("memory_limit").replace(" ", "").upper().startswith("286")  # DuckDB shows MiB
    with engine.bulk_session(memory_limit="500MB", threads=2) as s:
        assert s.setting("threads") == 2
        assert s.setting("preserve_insertion_order") is True
        assert "regshare-duckdb" in s.setting("temp_directory")


def test_bad_values_are_told_apart_from_other_errors(query_engine):
    with engine.session(tables={"t": pa.table({"n": [1, 2]})}) as s:
        with pytest.raises(s.bad_value_errors):
            s.table("SELECT * FROM t WHERE n > ?", ["not a number"])
        with pytest.raises(s.Error):
            s.table("SELECT missing_column FROM t")
        assert s.scalar("SELECT count(*) FROM t WHERE n > ?", [1]) == 1  # the session still answers


def test_the_engine_is_chosen_by_setting(settings):
    settings.REGSHARE_ENGINE = "other"
    with pytest.raises(engine.EngineError, match="other"):
        engine.get_engine()

    class Fake(engine.DuckDBEngine):
        name = "other"

    engine.register_engine("other", Fake)
    try:
        assert isinstance(engine.get_engine(), Fake)
        with engine.session() as s:
            assert s.engine.name == "other"
    finally:
        engine._factories.pop("other", None)
        engine._engines.pop("other", None)
    settings.REGSHARE_ENGINE = "duckdb"
    assert engine.get_engine().name == "duckdb"


def test_dialect_writes_duckdb_sql():
    d = engine.DuckDBDialect()
    assert d.quote('a"b') == '"a""b"'
    assert d.literal("it's") == "'it''s'"
    assert d.text('"x"') == 'CAST("x" AS VARCHAR)'
    assert d.in_placeholders("c", 3) == "c IN (?, ?, ?)"
    assert d.limit(10, 20) == " LIMIT 10 OFFSET 20"
