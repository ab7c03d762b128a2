"""The lake: one Delta Lake table per resource under ``settings.REGSHARE_LAKE_DIR / <resource code>``, or,
when ``settings.REGSHARE_LAKE_URL`` is an object-storage URL (``s3://bucket/prefix``), under that prefix
with ``settings.REGSHARE_LAKE_STORAGE_OPTIONS`` (endpoint, keys; see ``storage_options``).

Column names are the resource fields' ``code_name``. Every write is one Delta commit, so it is
atomic: a write that fails or is interrupted before its commit leaves only unreferenced Parquet
files behind and the previous version reads exactly as before.

``changes`` is computed as a diff of two snapshots (``new EXCEPT old`` in DuckDB), not from the Delta
change data feed: a full replace rewrites every file, and the change feed would then report every
row as inserted, while subscribers only want rows that are new or different.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings

from regshare.core.lazy import lazy_module

from . import hooks

pa = lazy_module("pyarrow")
pads = lazy_module("pyarrow.dataset")
deltalake = lazy_module("deltalake")
delta_errors = lazy_module("deltalake.exceptions")
delta_schema = lazy_module("deltalake.schema")
delta_tx = lazy_module("deltalake.transaction")

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
KEY_META = "regshare.key"
ROWS_META = "regshare.rows"
MODE_META = "regshare.mode"
CHANGE_TYPE = "_change_type"


class LakeError(Exception):
    """A lake operation that cannot be done (unknown table, version, bad key)."""


@runtime_checkable
class ParquetExport(Protocol):
    """Rows that can write themselves as Parquet files (the ingest pipeline's accepted rows).

    ``copy_parquet(folder)`` adds new files to ``folder`` (keeping the files there) and returns, per
    file, its name, its row count and, per column, a dict with ``null_count`` and, where exact,
    ``min``/``max`` as text. The lake commits those files as the new version without reading them
    back, so the rows are encoded once, by the engine that holds them."""

    @property
    def schema(self) -> pa.Schema: ...

    def copy_parquet(self, folder: str) -> list[tuple[str, int, dict[str, dict]]]: ...

    def to_arrow_table(self) -> pa.Table: ...


# Column types whose Parquet encoding every Delta reader takes without a table feature (timestamps
# without a zone need ``timestampNtz``, which only ``deltalake.write_deltalake`` knows how to add).
def _file_type_ok(t: pa.DataType) -> bool:
    return (pa.types.is_string(t) or pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
            or pa.types.is_date32(t) or pa.types.is_decimal(t))


def _check_code(code: str) -> str:
    if not _CODE.match(code or "") or ".." in code:
        raise LakeError(f"资源代码不合法: {code!r}")
    return code


def lake_url() -> str:
    """Where the lake lives: ``REGSHARE_LAKE_URL`` (``s3://bucket/prefix``) or else the local ``REGSHARE_LAKE_DIR``."""
    return (getattr(settings, "REGSHARE_LAKE_URL", "") or "").rstrip("/") or str(settings.REGSHARE_LAKE_DIR)


def is_remote() -> bool:
    return "://" in lake_url() and not lake_url().startswith("file://")


def storage_options() -> dict[str, str] | None:
    """The delta-rs object-store options for a remote lake (None for a local one).

    S3 has no atomic rename, so a Delta commit there is safe against a concurrent writer only when the
    log entry is written with a conditional put (``If-None-Match: *``): the second writer of version N
    gets "already exists" and delta-rs re-checks its commit against the winner. ``conditional_put=etag``
    is therefore always set; ``AWS_S3_ALLOW_UNSAFE_RENAME`` is never set (it lets two writers both
    "win" the same version and silently lose one commit).
    """
    if not is_remote():
        return None
    options = {str(k): str(v) for k, v in (getattr(settings, "REGSHARE_LAKE_STORAGE_OPTIONS", None) or {}).items()}
    options = {k: v for k, v in options.items() if k.upper() != "AWS_S3_ALLOW_UNSAFE_RENAME"}
    if lake_url().startswith(("s3://", "s3a://")):
        options["conditional_put"] = "etag"
    return options


def table_path(code: str) -> Path:
    """The local folder of a resource's table (a local lake only; see ``table_uri``)."""
    if is_remote():
        raise LakeError("数据湖位于对象存储,没有本地目录")
    return Path(settings.REGSHARE_LAKE_DIR) / _check_code(code)


def table_uri(code: str) -> str:
    """The table's location as delta-rs takes it: a local path or ``s3://bucket/prefix/<code>``."""
    if is_remote():
        return f"{lake_url()}/{_check_code(code)}"
    return str(table_path(code))


def _is_table(uri: str) -> bool:
    return deltalake.DeltaTable.is_deltatable(uri, storage_options=storage_options())


def _table(uri: str) -> deltalake.DeltaTable:
    return deltalake.DeltaTable(uri, storage_options=storage_options())


def exists(code: str) -> bool:
    return _is_table(table_uri(code))


def _open(code: str, *, version: int | None = None, as_of: dt.datetime | None = None) -> deltalake.DeltaTable:
    uri = table_uri(code)
    if not _is_table(uri):
        raise LakeError(f"资源 {code} 尚无数据")
    table = _table(uri)
    try:
        if version is not None:
            table.load_as_version(int(version))
        elif as_of is not None:
            if as_of.tzinfo is None:
                as_of = as_of.replace(tzinfo=dt.UTC)
            table.load_as_version(as_of)
    except Exception as exc:  # deltalake raises several types for a version that does not exist
        wanted = version if version is not None else as_of
        raise LakeError(f"资源 {code} 没有版本 {wanted}") from exc
    return table


def _plain_types(table: pa.Table) -> pa.Table:
    """Large/view string types become plain strings so every reader sees one schema."""
    fields = []
    changed = False
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t, changed = pa.string(), True
        elif pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            t, changed = pa.binary(), True
        fields.append(pa.field(f.name, t, nullable=True))
    return table.cast(pa.schema(fields)) if changed else table


def write(code: str, table: pa.Table | pa.RecordBatchReader | ParquetExport, *, mode: str = "replace",
          key: list[str] | None = None, notify: bool = True, rows: int | None = None) -> int:
    """Write a new version of the resource's table and return its version number.

    ``mode="replace"`` makes the table exactly ``table``; ``mode="merge"`` upserts on ``key``
    (rows whose key matches are updated, others inserted; rows absent from ``table`` stay).
    The key is remembered in the commit so that ``changes`` can tell inserts from updates.
    ``notify=False`` is for callers (the ingest service) that fire ``hooks`` themselves after
    recording the load in the relational database. ``rows`` records the row count of a streamed
    ``RecordBatchReader`` in the history (a ``pa.Table`` counts itself). A ``ParquetExport`` written
    with ``mode="replace"`` becomes Parquet files committed as they are (see ``_commit_file``).
    """
    if mode not in ("replace", "merge"):
        raise LakeError(f"未知的写入方式: {mode}")
    key = list(key or [])
    uri = table_uri(code)
    if not is_remote():
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    columns = table.schema.names
    missing = [k for k in key if k not in columns]
    if missing:
        raise LakeError(f"主键字段不在数据中: {', '.join(missing)}")
    rows = table.num_rows if isinstance(table, pa.Table) else rows
    meta = {KEY_META: ",".join(key), MODE_META: mode}
    if rows is not None:
        meta[ROWS_META] = str(rows)
    commit = deltalake.CommitProperties(custom_metadata=meta)
    if isinstance(table, ParquetExport) and not isinstance(table, pa.Table | pa.RecordBatchReader):
        if mode == "replace" and all(_file_type_ok(f.type) for f in table.schema):
            version = _commit_file(uri, table, commit)
            if notify:
                hooks.fire(code, version, mode)
            return version
        table = table.to_arrow_table()
    if mode == "merge" and not isinstance(table, pa.Table):
        table = table.read_all()
    if isinstance(table, pa.Table):
        table = _plain_types(table)
    # A table can be replayed, so a commit that lost a race with another writer is tried again on the
    # new snapshot; a stream cannot, and its conflict is raised (nothing was committed either way).
    attempts = 3 if isinstance(table, pa.Table) else 1
    for attempt in range(attempts):
        try:
            _commit(uri, table, mode, key, commit)
            break
        except delta_errors.CommitFailedError:
            if attempt == attempts - 1:
                raise
    version = _table(uri).version()
    if notify:
        hooks.fire(code, version, mode)
    return version


def _commit(uri: str, table, mode: str, key: list[str], commit: deltalake.CommitProperties) -> None:
    is_table = _is_table(uri)
    if mode == "merge" and is_table:
        if not key:
            raise LakeError("合并写入须指定主键")
        target = _table(uri)
        predicate = " AND ".join(f't."{k}" = s."{k}"' for k in key)
        (target.merge(table, predicate=predicate, source_alias="s", target_alias="t", merge_schema=True,
                      commit_properties=commit)
         .when_matched_update_all().when_not_matched_insert_all().execute())
    else:
        deltalake.write_deltalake(uri, table, mode="overwrite", schema_mode="overwrite" if is_table else None,
                        commit_properties=commit, storage_options=storage_options())


def _file_stats(rows: int, columns: dict[str, dict], schema: pa.Schema) -> str:
    """Delta ``stats`` for one file: row and null counts, and exact min/max of text, date and integer columns."""
    stats: dict = {"numRecords": rows, "minValues": {}, "maxValues": {}, "nullCount": {}}
    for f in schema:
        column = columns.get(f.name, {})
        if "null_count" in column:
            stats["nullCount"][f.name] = int(column["null_count"])
        for bound, key in (("min", "minValues"), ("max", "maxValues")):
            value = column.get(bound)
            if value is None or str(column.get(f"{bound}_is_exact", "false")).lower() != "true":
                continue
            if pa.types.is_string(f.type) or pa.types.is_date32(f.type):
                stats[key][f.name] = str(value)
            elif pa.types.is_integer(f.type):
                stats[key][f.name] = int(value)
    return json.dumps(stats, ensure_ascii=False)


def _export_files(uri: str, export: ParquetExport) -> list[delta_tx.AddAction]:
    """Have ``export`` write its Parquet files into the table's folder and describe them as Delta adds.

    A remote lake has no folder the engine can write into: the files are written to a local temporary
    folder and uploaded through delta-rs' own object store (same endpoint, keys and options)."""
    if not is_remote():
        path = Path(uri)
        path.mkdir(parents=True, exist_ok=True)
        adds = []
        for name, rows, columns in export.copy_parquet(str(path)):
            info = (path / name).stat()
            adds.append(delta_tx.AddAction(name, info.st_size, {}, int(info.st_mtime * 1000), True,
                                  _file_stats(rows, columns, export.schema)))
        return adds
    import shutil
    import tempfile
    import time

    # The raw delta-rs handler: its stream takes bytes (pyarrow's wrapper of it hands over Buffers) and
    # uploads in multipart chunks, so a file of any size streams through constant memory.
    from deltalake._internal import DeltaFileSystemHandler

    store = DeltaFileSystemHandler(uri, storage_options())
    adds = []
    with tempfile.TemporaryDirectory(prefix="regshare-lake-upload-") as folder:
        for name, rows, columns in export.copy_parquet(folder):
            local = Path(folder) / name
            target = store.open_output_stream(name, None)
            try:
                with open(local, "rb") as source:
                    shutil.copyfileobj(source, target, 8 * 1024 * 1024)
            finally:
                target.close()
            adds.append(delta_tx.AddAction(name, local.stat().st_size, {}, int(time.time() * 1000), True,
                                  _file_stats(rows, columns, export.schema)))
    return adds


def _commit_file(uri: str, export: ParquetExport, commit: deltalake.CommitProperties) -> int:
    """Replace the table's content by the Parquet files that ``export`` writes straight into the table's
    folder. Until the commit names them, no reader sees the files, so a failure leaves the previous
    version as it was (and unreferenced files, as any interrupted Delta write does)."""
    adds = _export_files(uri, export)
    for attempt in range(3):
        try:
            if _is_table(uri):
                _table(uri).create_write_transaction(adds, mode="overwrite", schema=export.schema,
                                                     commit_properties=commit)
            else:
                delta_tx.create_table_with_add_actions(uri, delta_schema.Schema.from_arrow(export.schema), adds, mode="error",
                                              commit_properties=commit, storage_options=storage_options())
            break
        except delta_errors.CommitFailedError:
            if attempt == 2:
                raise
    return _table(uri).version()


def current_version(code: str) -> int | None:
    uri = table_uri(code)
    if not _is_table(uri):
        return None
    return _table(uri).version()


def dataset(code: str, *, version: int | None = None, as_of: dt.datetime | None = None) -> pads.Dataset:
    """The snapshot as a pyarrow dataset (DuckDB reads it without copying: ``con.register(name, ds)``)."""
    return _open(code, version=version, as_of=as_of).to_pyarrow_dataset()


def read(code: str, *, columns: list[str] | None = None, version: int | None = None,
         as_of: dt.datetime | None = None) -> pa.Table:
    ds = dataset(code, version=version, as_of=as_of)
    if columns is not None:
        unknown = [c for c in columns if c not in ds.schema.names]
        if unknown:
            raise LakeError(f"资源 {code} 没有字段: {', '.join(unknown)}")
    return _plain_types(ds.to_table(columns=columns))


def _key_of(code: str, version: int) -> list[str]:
    for entry in _raw_history(code):
        if entry.get("version") == version:
            text = entry.get(KEY_META) or ""
            return [k for k in text.split(",") if k]
    return []


def changes(code: str, from_version: int, to_version: int | None = None) -> pa.Table:
    """Rows present in ``to_version`` (default: current) that are new or different since ``from_version``.

    Computed as ``snapshot(to) EXCEPT snapshot(from)`` in DuckDB over the two Delta snapshots, so
    it is right whatever the writes in between were (replace, merge, several of each). A column
    ``_change_type`` says ``insert`` (key not present before) or ``update`` (key present, values
    changed); without a known key every changed row is reported as ``insert``. Deleted rows are
    not reported.
    """
    from . import engine

    to_version = current_version(code) if to_version is None else to_version
    if to_version is None:
        raise LakeError(f"资源 {code} 尚无数据")
    if from_version < 0 or from_version > to_version:
        raise LakeError(f"版本区间不合法: {from_version}..{to_version}")
    new = dataset(code, version=to_version)
    old = dataset(code, version=from_version)
    key = [k for k in _key_of(code, to_version) if k in new.schema.names and k in old.schema.names]
    names = new.schema.names
    with engine.session(tables={"new_rows": new, "old_rows": old}) as s:
        q = s.dialect.quote
        select_new = ", ".join(q(c) for c in names)
        select_old = ", ".join(q(c) if c in old.schema.names else f"NULL AS {q(c)}" for c in names)
        diff = f"SELECT {select_new} FROM new_rows EXCEPT SELECT {select_old} FROM old_rows"
        if key:
            on = " AND ".join(f"d.{q(k)} IS NOT DISTINCT FROM o.{q(k)}" for k in key)
            sql = (f"SELECT d.*, CASE WHEN EXISTS (SELECT 1 FROM old_rows o WHERE {on}) THEN 'update' "
                   f"ELSE 'insert' END AS {CHANGE_TYPE} FROM ({diff}) d")
        else:
            sql = f"SELECT *, 'insert' AS {CHANGE_TYPE} FROM ({diff})"
        result = s.table(sql)
    return _plain_types(result)


def _raw_history(code: str) -> list[dict]:
    uri = table_uri(code)
    if not _is_table(uri):
        return []
    return _table(uri).history()


def history(code: str) -> list[dict]:
    """Versions newest first: ``version``, ``timestamp`` (aware datetime), ``operation``, ``mode``, ``rows``, ``key``."""
    out = []
    for entry in _raw_history(code):
        ts = entry.get("timestamp")
        when = dt.datetime.fromtimestamp(ts / 1000, tz=dt.UTC) if isinstance(ts, int | float) else None
        rows = entry.get(ROWS_META)
        metrics = entry.get("operationMetrics") or {}
        if rows is None and entry.get("operation") == "MERGE":
            rows = None  # merge reports touched rows below; the table size is asked for separately
        out.append({
            "version": entry.get("version"),
            "timestamp": when,
            "operation": entry.get("operation"),
            "mode": entry.get(MODE_META, ""),
            "rows": int(rows) if rows not in (None, "") else None,
            "rows_inserted": metrics.get("num_target_rows_inserted"),
            "rows_updated": metrics.get("num_target_rows_updated"),
            "key": [k for k in (entry.get(KEY_META) or "").split(",") if k],
        })
    return out


def row_count(code: str, *, version: int | None = None) -> int:
    return dataset(code, version=version).count_rows()


def drop(code: str) -> None:
    """Remove a resource's table entirely (tests and demo resets only)."""
    import shutil

    uri = table_uri(code)
    try:
        if is_remote():
            from deltalake._internal import DeltaFileSystemHandler

            store = DeltaFileSystemHandler(uri, storage_options())
            for info in store.get_file_info_selector("", allow_not_found=True, recursive=True):
                if info.is_file:
                    store.delete_file(info.path)
        else:
            shutil.rmtree(uri)
    except (FileNotFoundError, delta_errors.TableNotFoundError):
        pass
