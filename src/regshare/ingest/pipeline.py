"""The load pipeline in columns: map → clean → validate → deduplicate → write, all in DuckDB SQL.

One temporary DuckDB table holds the checked rows (typed values plus a reason column per field);
counts, the rejected-row report and the rows to load are all queries over it. The pipeline knows
nothing of Django models: it gets field specs, a tolerance and a ``write`` function.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from .readers import Source
from .rules import FieldSpec, field_sql, ident, lit

Progress = Callable[[str, float], None]
WriteFn = Callable[[pa.Table | pa.RecordBatchReader], int]
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


def _connect() -> duckdb.DuckDBPyConnection:
    spill = Path(tempfile.gettempdir()) / "regshare-duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    limit = os.environ.get("REGSHARE_INGEST_MEMORY", "1500MB")
    con = duckdb.connect(config={"memory_limit": limit, "temp_directory": str(spill),
                                 "preserve_insertion_order": True})
    return con


def build_sql(source: Source, fields: list[FieldSpec]) -> str:
    """SELECT producing ``_row``, per field i its typed value (named by code name), ``_e{i}`` reason,
    ``_v{i}`` raw text when rejected, and ``_f{i}`` whether the cell was filled."""
    present = set(source.columns)
    stage_a, stage_b, stage_c = ["_row"], ["_row"], ["_row"]
    not_all_empty = []
    for i, spec in enumerate(fields):
        raw = ident(spec.code_name) if spec.code_name in present else "CAST(NULL AS VARCHAR)"
        sql = field_sql(spec, raw=f"_r{i}", c=f"_c{i}", p=f"_p{i}")
        stage_a.append(f"{raw} AS _r{i}")
        if spec.code_name in present:
            not_all_empty.append(f"{raw} IS NOT NULL")
        stage_b += [f"_r{i}", f"{sql.clean} AS _c{i}"]
        required = spec.required or spec.is_key
        if required:
            reason = f"CASE WHEN _c{i} IS NULL THEN {lit(REQUIRED_EMPTY)} ELSE {sql.reason} END"
        else:
            reason = f"CASE WHEN _c{i} IS NOT NULL THEN {sql.reason} END"
        stage_c.append(f"_p{i} AS {ident(spec.code_name)}")
        stage_c.append(f"{reason} AS _e{i}")
        stage_c.append(f"_c{i} IS NOT NULL AS _f{i}")
        stage_c.append(f"_r{i}")
    typed = ["*"] + [f"{field_sql(spec, c=f'_c{i}').typed} AS _p{i}" for i, spec in enumerate(fields)]
    where = " OR ".join(not_all_empty) or "false"
    inner = (f"SELECT {', '.join(stage_b)} FROM (SELECT {', '.join(stage_a)} FROM ({source.sql}) "
             f"WHERE {where})")
    with_typed = f"SELECT {', '.join(typed)} FROM ({inner})"
    checked = f"SELECT {', '.join(stage_c)} FROM ({with_typed})"
    bad = " OR ".join(f"_e{i} IS NOT NULL" for i in range(len(fields))) or "false"
    values = ", ".join(
        ["_row", *(ident(s.code_name) for s in fields), *(f"_e{i}" for i in range(len(fields))),
         *(f"_f{i}" for i in range(len(fields))),
         *(f"CASE WHEN _e{i} IS NOT NULL THEN _r{i} END AS _v{i}" for i in range(len(fields)))])
    return f"SELECT {values}, ({bad}) AS _bad FROM ({checked})"


def run(source: Source, fields: list[FieldSpec], *, max_invalid_fraction: float = 0.05,
        write: WriteFn | None = None, rejects_path: str | Path | None = None,
        progress: Progress | None = None, merge: bool = False) -> PipelineResult:
    """Check the source against ``fields``; write the valid, deduplicated rows when within tolerance."""
    step = progress or (lambda _s, _f: None)
    result = PipelineResult()
    required_missing = [f.name for f in fields if (f.required or f.is_key) and f.code_name not in source.columns]
    con = _connect()
    try:
        if source.arrow is not None:
            con.register("src_arrow", source.arrow)
        step("读取、清洗与校验", 0.05)
        con.execute(f"CREATE TEMP TABLE checked AS {build_sql(source, fields)}")
        step("统计质量", 0.55)
        n = len(fields)
        aggregates = ["count(*)", "count_if(_bad)"] + [f"count_if(_e{i} IS NOT NULL)" for i in range(n)] + \
                     [f"count_if(_f{i})" for i in range(n)]
        stats = con.execute(f"SELECT {', '.join(aggregates)} FROM checked").fetchone()
        result.rows_in, result.rows_rejected = int(stats[0]), int(stats[1])
        invalid_by_field = stats[2:2 + n]
        filled_by_field = stats[2 + n:2 + 2 * n]
        keys = [f.code_name for f in fields if f.is_key]
        valid = result.rows_in - result.rows_rejected
        if keys and valid:
            key_expr = ", ".join(ident(k) for k in keys)
            distinct = con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {key_expr} FROM checked WHERE NOT _bad)").fetchone()[0]
            result.duplicates = valid - int(distinct)
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
            cols = ", ".join(ident(f.code_name) for f in fields)
            if result.duplicates:
                order = ", ".join(ident(k) for k in keys)
                query = (f"SELECT {cols} FROM checked WHERE NOT _bad "
                         f"QUALIFY row_number() OVER (PARTITION BY {order} ORDER BY _row DESC) = 1")
            else:
                query = f"SELECT {cols} FROM checked WHERE NOT _bad"
            relation = con.sql(query)
            data = relation.to_arrow_table() if merge else relation.to_arrow_reader(500_000)
            result.version = write(data)
        step("完成", 1.0)
        return result
    finally:
        con.close()


def _error_union(fields: list[FieldSpec]) -> str:
    parts = [f"SELECT _row, {i} AS _pos, {lit(f.name)} AS field, _v{i} AS value, _e{i} AS reason "
             f"FROM checked WHERE _e{i} IS NOT NULL" for i, f in enumerate(fields)]
    return " UNION ALL ".join(parts)


def _write_rejects(con, fields: list[FieldSpec], keys: list[str], has_dupes: bool, path: Path) -> None:
    """Every rejected cell and every dropped duplicate, with its Chinese reason, to a Parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    union = _error_union(fields)
    if has_dupes:
        order = ", ".join(ident(k) for k in keys)
        key_text = " || '/' || ".join(f"CAST({ident(k)} AS VARCHAR)" for k in keys)
        key_names = "/".join(f.name for f in fields if f.is_key)
        union += (f" UNION ALL SELECT _row, -1, {lit(key_names)}, {key_text}, "
                  f"'主键重复,已去重(保留第 ' || _keep || ' 行)' FROM ("
                  f"SELECT _row, {order}, "
                  f"row_number() OVER w AS _rn, first_value(_row) OVER w AS _keep FROM checked WHERE NOT _bad "
                  f"WINDOW w AS (PARTITION BY {order} ORDER BY _row DESC)) WHERE _rn > 1")
    con.execute(f"COPY (SELECT _row AS row, field, value, reason FROM ({union}) ORDER BY _row, _pos) "
                f"TO {lit(str(path))} (FORMAT parquet)")


def _first_errors(con, fields: list[FieldSpec]) -> list[dict]:
    """The first rejected rows (up to 20), each with every field that failed."""
    if not fields:
        return []
    first_rows = f"SELECT _row FROM checked WHERE _bad ORDER BY _row LIMIT {ERRORS_SHOWN}"
    sql = (f"SELECT _row, field, value, reason FROM ({_error_union(fields)}) "
           f"WHERE _row IN ({first_rows}) ORDER BY _row, _pos")
    return [{"row": int(r[0]), "field": r[1], "value": r[2], "reason": r[3]} for r in con.execute(sql).fetchall()]
