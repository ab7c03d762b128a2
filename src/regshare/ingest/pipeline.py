"""The load pipeline in columns: map → clean → validate → deduplicate → write, in the engine's SQL.

One temporary table holds the checked rows (typed values plus a reason column per field); counts,
the rejected-row report and the rows to load are all queries over it. The pass runs on the engine
``REGSHARE_ENGINE`` names: the rules are written once in DuckDB SQL (``rules``) and each statement is
built through the session's ``Dialect``, which writes the parts that differ (Spark: ``lake.spark``).
The pipeline knows nothing of Django models: it gets field specs, a tolerance and a ``write`` function.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from regshare.core.lazy import lazy_module
from regshare.lake import engine

from .readers import Source
from .rules import FieldSpec, clean_expr, clean_test, field_sql, lit

pa = lazy_module("pyarrow")

Progress = Callable[[str, float], None]
WriteFn = Callable[["pa.Table | AcceptedRows", int], int]  # (data, rows) -> version
REQUIRED_EMPTY = "必填项为空"
ERRORS_SHOWN = 20


@dataclass
class PipelineResult:
    rows_in: int = 0
    rows_rejected: int = 0
    duplicates: int = 0
    rows_loaded: int = 0
    version: int | None = None
    accepted: bool = False
    reason: str = ""
    completeness: float = 0.0
    validity: float = 0.0
    uniqueness: float = 1.0
    field_stats: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    rejects_path: str = ""
    missing_columns: list[str] = field(default_factory=list)

    @property
    def quality(self) -> dict:
        return {"completeness": round(self.completeness, 6), "validity": round(self.validity, 6),
                "uniqueness": round(self.uniqueness, 6)}


class AcceptedRows:
    """The rows a load writes, still inside the engine: the lake has them copied to Parquet files in
    parallel (``copy_parquet``) instead of pulling them through Arrow into a writer of its own."""

    def __init__(self, con: engine.Session, query: str) -> None:
        self.con, self.query = con, query

    @functools.cached_property
    def schema(self) -> pa.Schema:
        return self.con.sql(f"SELECT * FROM ({self.query}) LIMIT 0").to_arrow_table().schema

    def copy_parquet(self, folder: str) -> list[tuple[str, int, dict[str, dict]]]:
        """Write the rows as new Parquet files in ``folder`` (one per DuckDB thread, named
        ``part-<uuid>-c000.snappy.parquet``; files already there are kept) and return, per file, its
        name, row count and column statistics."""
        # An engine with a Parquet writer of its own (Spark); ``con`` may also be a bare DuckDB connection.
        own_writer = getattr(getattr(self.con, "con", None), "copy_parquet", None)
        if own_writer is not None:
            return own_writer(self.query, folder)
        # No dictionary encoding: most columns of a register (codes, names, addresses, numbers) are all
        # different values, and trying dictionaries first cost a third of the write (files ~20% larger).
        # One file per thread: a single file has its row groups put in order by one writer.
        files = self.con.execute(f"COPY ({self.query}) TO {lit(folder)} "
                                 "(FORMAT parquet, COMPRESSION snappy, DICTIONARY_SIZE_LIMIT 1, PER_THREAD_OUTPUT true, "
                                 "FILENAME_PATTERN 'part-{uuid}-c000.snappy', APPEND true, RETURN_STATS true)").fetchall()
        return [(os.path.basename(name), int(rows), {column.strip('"'): stats for column, stats in (columns or {}).items()})
                for name, rows, _size, _footer, columns, *_ in files]

    def to_arrow_table(self) -> pa.Table:
        return self.con.sql(self.query).to_arrow_table()


def _connect(engine_name: str | None = None) -> engine.Session:
    """A bulk session (memory cap, spill folder, file order kept) with the check functions registered."""
    con = engine.open_bulk_session(engine=engine_name)
    con.dialect.register_functions(con)
    return con


def _layer(columns: list[str], replace: dict[str, str], add: dict[str, str] | None = None) -> str:
    """One projection: the columns, some replaced by an expression, plus new ones."""
    parts = [replace.get(c, c) + (f" AS {c}" if c in replace else "") for c in columns]
    parts += [f"{expr} AS {name}" for name, expr in (add or {}).items()]
    return ", ".join(parts)


def clean_sql(relation: str, columns: list[str], fields: list[FieldSpec], sqls: list,
              dialect: engine.Dialect | None = None) -> str:
    """SELECT ``_row``, ``_blank``, ``_r{i}`` (raw), ``_f{i}`` (passed the clean test, for fields where that
    means valid), ``_c{i}`` (cleaned), ``_p{i}`` (typed) and ``_kk{i}`` (expected check character) from
    ``relation`` (``_row``, ``_blank`` and the raw columns by code name)."""
    d = dialect or engine.DuckDBDialect()
    present = set(columns)
    raw = [f"{d.quote(s.code_name)} AS _r{i}" if s.code_name in present else f"{d.text('NULL')} AS _r{i}"
           for i, s in enumerate(fields)]
    sql = f"SELECT _row, _blank, {', '.join(raw)} FROM {relation}"
    names = ["_row", "_blank"] + [f"_r{i}" for i in range(len(fields))]
    # Where passing the clean test also means valid, the test is kept as ``_f{i}`` for ``checked_sql``.
    flags = {f"_f{i}": d.rule(clean_test(x, f"_r{i}")) for i, x in enumerate(sqls) if x.clean_is_valid}
    if flags:
        sql = f"SELECT {_layer(names, {}, flags)} FROM ({sql})"
        names += list(flags)
    cleaned = {f"_c{i}": d.rule(clean_expr(x, f"_r{i}", f"_f{i}" if f"_f{i}" in flags else None))
               for i, x in enumerate(sqls)}
    sql = f"SELECT {_layer(names, {}, cleaned)} FROM ({sql})"
    names += list(cleaned)
    add = {}
    for i, x in enumerate(sqls):
        add[f"_p{i}"] = d.rule(x.typed)
        if x.check:
            add[f"_kk{i}"] = d.check_character(x.check, f"_c{i}")
    return f"SELECT {_layer(names, {}, add)} FROM ({sql})"


def checked_sql(fields: list[FieldSpec], sqls: list, relation: str, columns: list[str],
                dialect: engine.Dialect | None = None) -> str:
    """SELECT ``_row``, ``_blank``, the typed values by code name, ``_bad`` and ``_err``: for rejected rows only,
    the list of ``{i: field position, reason, value: raw text, typed: whether a typed value exists}`` as
    dialect's ``error_list`` (the ``checked`` view decodes it)."""
    d = dialect or engine.DuckDBDialect()
    reasons = []
    for i, (spec, x) in enumerate(zip(fields, sqls, strict=True)):
        rule = d.rule(x.reason)
        reason = f"CASE WHEN _f{i} THEN NULL ELSE {rule} END" if x.clean_is_valid else rule
        if spec.required or spec.is_key:
            reasons.append(f"CASE WHEN _c{i} IS NULL THEN {d.literal(REQUIRED_EMPTY)} ELSE {reason} END AS _e{i}")
        else:
            reasons.append(f"CASE WHEN _c{i} IS NOT NULL THEN {reason} END AS _e{i}")
    inner = f"SELECT *, {', '.join(reasons)} FROM ({clean_sql(relation, columns, fields, sqls, d)})"
    n = len(fields)
    bad = "NOT _blank AND (" + (" OR ".join(f"_e{i} IS NOT NULL" for i in range(n)) or "false") + ")"
    items = [{"i": str(i), "reason": f"_e{i}", "value": f"_r{i}", "typed": f"_p{i} IS NOT NULL"} for i in range(n)]
    err = f"CASE WHEN _bad THEN {d.error_list(items)} END AS _err"
    typed = ", ".join(f"_p{i} AS {d.quote(s.code_name)}" for i, s in enumerate(fields))
    return f"SELECT _row, _blank, {typed}, _bad, {err} FROM (SELECT *, ({bad}) AS _bad FROM ({inner}))"


def _field_sqls(fields: list[FieldSpec]) -> list:
    return [field_sql(s, c=f"_c{i}", p=f"_p{i}", k=f"_kk{i}") for i, s in enumerate(fields)]


def _source_relation(con: engine.Session, source: Source) -> tuple[str, int | None]:
    """The source as a relation of ``con`` and the number of its first row when it is numbered by position.

    The readers write DuckDB SQL (``read_csv``, ``src_arrow``). Another engine gets the rows that SQL reads,
    as Arrow with their ``_row`` numbers (``src_rows``): reading the file stays with DuckDB and Arrow, the
    checking is the engine's. (Spark sends a large table to its executors as a Parquet file.)"""
    if con.engine.name == "duckdb":
        if source.arrow is not None:
            con.register("src_arrow", source.arrow)
        return source.sql, source.first_row
    with engine.bulk_session(engine="duckdb") as reader:
        if source.arrow is not None:
            reader.register("src_arrow", source.arrow)
        table = reader.table(source.sql)
    if source.first_row is not None:
        numbers = pa.array(range(source.first_row, source.first_row + table.num_rows), pa.int64())
        table = table.add_column(0, "_row", numbers)
    con.register("src_rows", table)
    return "SELECT * FROM src_rows", None


def check(con: engine.Session, source: Source, fields: list[FieldSpec]) -> None:
    """Make ``checked`` (the checked non-blank rows) from the source in one parallel pass.

    A source without its own ``_row`` is numbered by position: the table keeps the file's order, so
    a row's number is its ``rowid`` plus the first data row's. (A ``row_number()`` window in the
    pass itself would make DuckDB run all of it on one thread.)"""
    d = con.dialect
    sqls = _field_sqls(fields)
    relation, first_row = _source_relation(con, source)
    if first_row is not None and d.row_position is None:
        raise engine.EngineError(f"{d.name} 引擎不能按位置给行编号")
    present = [f.code_name for f in fields if f.code_name in source.columns]
    filled = " OR ".join(f"{d.quote(c)} IS NOT NULL" for c in present) or "false"
    row = "CAST(NULL AS BIGINT) AS _row, " if first_row is not None else ""
    rows = f"(SELECT {row}*, NOT ({filled}) AS _blank FROM ({relation}))"
    con.execute(d.create_table("checked_all", checked_sql(fields, sqls, rows, source.columns, d)))
    number = f"{d.row_position} + {first_row} AS _row" if first_row is not None else "_row"
    typed = ", ".join(d.quote(f.code_name) for f in fields)
    con.execute(d.create_view("checked", f"SELECT {number}, _blank, {typed}, _bad, {d.decode_errors('_err')} "
                                         "AS _err FROM checked_all WHERE NOT _blank"))


def run(source: Source, fields: list[FieldSpec], *, max_invalid_fraction: float = 0.05,
        write: WriteFn | None = None, rejects_path: str | Path | None = None,
        progress: Progress | None = None, merge: bool = False) -> PipelineResult:
    """Check the source against ``fields``; write the valid, deduplicated rows when within tolerance."""
    step = progress or (lambda _s, _f: None)
    result = PipelineResult()
    required_missing = [f.name for f in fields if (f.required or f.is_key) and f.code_name not in source.columns]
    con = _connect()
    d = con.dialect
    try:
        step("读取、清洗与校验", 0.05)
        check(con, source, fields)
        step("统计质量", 0.55)
        n = len(fields)
        counts = ", ".join(f"count({d.quote(f.code_name)})" for f in fields)
        totals = con.execute(f"SELECT count(*), count_if(_bad), {counts} FROM checked").fetchone()
        # count_if over no rows (a file with only its header) is NULL, not 0.
        result.rows_in, result.rows_rejected = int(totals[0]), int(totals[1] or 0)
        per_field = {int(i): (int(bad), int(untyped)) for i, bad, untyped in con.execute(
            f"SELECT e.i, count(*), count_if(NOT e.typed AND e.reason <> {d.literal(REQUIRED_EMPTY)}) "
            f"FROM (SELECT {d.unnest('_err')} AS e FROM checked WHERE _bad) GROUP BY e.i").fetchall()}
        invalid_by_field = [per_field.get(i, (0, 0))[0] for i in range(n)]
        filled_by_field = [int(totals[2 + i]) + per_field.get(i, (0, 0))[1] for i in range(n)]
        keys = [f.code_name for f in fields if f.is_key]
        valid = result.rows_in - result.rows_rejected
        if keys and valid:
            result.duplicates = _find_duplicates(con, keys)
        rows = max(result.rows_in, 1)
        result.field_stats = [
            {"code_name": f.code_name, "name": f.name, "filled": int(filled_by_field[i]),
             "invalid": int(invalid_by_field[i]), "completeness": filled_by_field[i] / rows,
             "validity": 1 - invalid_by_field[i] / rows, "present": f.code_name in source.columns}
            for i, f in enumerate(fields)]
        result.completeness = sum(filled_by_field) / (rows * max(n, 1)) if result.rows_in else 0.0
        result.validity = valid / rows if result.rows_in else 0.0
        result.uniqueness = (valid - result.duplicates) / valid if valid else 1.0
        result.missing_columns = required_missing

        if rejects_path:
            step("生成问题数据清单", 0.6)
            _write_rejects(con, fields, keys, result.duplicates > 0, Path(rejects_path))
            result.rejects_path = str(rejects_path)
        result.errors = _first_errors(con, fields)

        fraction = result.rows_rejected / result.rows_in if result.rows_in else 1.0
        if required_missing:
            result.reason = f"文件缺少必填字段:{'、'.join(required_missing)}"
        elif result.rows_in == 0:
            result.reason = "文件中没有数据行"
        elif fraction > max_invalid_fraction:
            result.reason = (f"无效行 {result.rows_rejected} 行,占 {fraction:.2%},超过该资源可容忍的 "
                             f"{max_invalid_fraction:.2%},本次数据全部未入库")
        if result.reason:
            step("已拒收", 1.0)
            return result
        result.accepted = True
        result.rows_loaded = valid - result.duplicates
        if write is not None:
            step("写入数据湖", 0.7)
            cols = ", ".join(d.quote(f.code_name) for f in fields)
            query = f"SELECT {cols} FROM checked WHERE NOT _bad"
            if result.duplicates:
                query += " AND _row NOT IN (SELECT _row FROM dropped)"
            accepted = AcceptedRows(con, query)
            result.version = write(accepted.to_arrow_table() if merge else accepted, result.rows_loaded)
        step("完成", 1.0)
        return result
    finally:
        con.close()


def _find_duplicates(con: engine.Session, keys: list[str]) -> int:
    """Valid rows whose key appears again later in the file go to table ``dropped`` (the last one wins)."""
    q = con.dialect.quote
    key_cols = ", ".join(q(k) for k in keys)
    join = " AND ".join(f"c.{q(k)} = d.{q(k)}" for k in keys)
    con.execute(con.dialect.create_table("dropped", (
                f"SELECT c._row, d._keep FROM checked c JOIN ("
                f"SELECT {key_cols}, max(_row) AS _keep FROM checked WHERE NOT _bad GROUP BY {key_cols} "
                f"HAVING count(*) > 1) d ON {join} WHERE NOT c._bad AND c._row <> d._keep")))
    return int(con.execute("SELECT count(*) FROM dropped").fetchone()[0])


def _error_union(d: engine.Dialect, fields: list[FieldSpec]) -> str:
    field = d.pick([d.literal(f.name) for f in fields], "e.i + 1")
    return (f"SELECT _row, e.i AS _pos, {field} AS field, e.value AS value, e.reason AS reason "
            f"FROM (SELECT _row, {d.unnest('_err')} AS e FROM checked WHERE _bad)")


def _write_rejects(con: engine.Session, fields: list[FieldSpec], keys: list[str], has_dupes: bool,
                   path: Path) -> None:
    """Every rejected cell and every dropped duplicate, with its Chinese reason, to a Parquet file."""
    d = con.dialect
    path.parent.mkdir(parents=True, exist_ok=True)
    union = _error_union(d, fields)
    if has_dupes:
        key_text = " || '/' || ".join(d.text(f"c.{d.quote(k)}") for k in keys)
        key_names = "/".join(f.name for f in fields if f.is_key)
        union += (f" UNION ALL SELECT c._row, -1, {d.literal(key_names)}, {key_text}, "
                  f"'主键重复,已去重(保留第 ' || {d.text('d._keep')} || ' 行)' FROM checked c JOIN dropped d ON c._row = d._row")
    query = f"SELECT _row AS row, field, value, reason FROM ({union}) ORDER BY _row, _pos"
    copy = d.copy_to_parquet(query, str(path))
    if copy is not None:
        con.execute(copy)
    else:
        import pyarrow.parquet as pq

        pq.write_table(con.table(query), path)


def _first_errors(con: engine.Session, fields: list[FieldSpec]) -> list[dict]:
    """The first rejected rows (up to 20), each with every field that failed."""
    if not fields:
        return []
    first_rows = f"SELECT _row FROM checked WHERE _bad ORDER BY _row LIMIT {ERRORS_SHOWN}"
    sql = (f"SELECT _row, field, value, reason FROM ({_error_union(con.dialect, fields)}) "
           f"WHERE _row IN ({first_rows}) ORDER BY _row, _pos")
    return [{"row": int(r[0]), "field": r[1], "value": r[2], "reason": r[3]} for r in con.execute(sql).fetchall()]
