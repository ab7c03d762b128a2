"""Spark as a second query engine (``REGSHARE_ENGINE=spark``): the same SQL through the same session methods.

One local ``SparkSession`` per process (``local[N]``, N from ``REGSHARE_SPARK_CORES``, default every core;
``REGSHARE_SPARK_MASTER`` points it at a cluster instead). Each platform session is a ``newSession()`` of
it: its own temporary views and SQL settings over the shared context, so two requests never see each
other's tables. Tables are registered as temporary views:

- an Arrow table or reader: ``createDataFrame`` from Arrow;
- a lake table: the Parquet files delta-rs lists for the wanted version, read by Spark's own Parquet
  reader with the snapshot's schema. No delta-spark jars (Spark would fetch them from a Maven repository
  at start); this needs the table profile ``tables`` writes (no deletion vectors, no column mapping), which
  ``tests/lake/test_spark.py`` pins.

``?`` parameters are bound by Spark itself (``spark.sql(sql, args=[...])``), never formatted into the text.
``pyspark`` is imported on the first session only.

The ingest pass (``ingest.pipeline``) runs here through ``SparkDialect``: the rules' DuckDB expressions are
rewritten by ``spark_sql.rule``, check characters are plain SQL, the checked rows are a cached view
(``CACHE TABLE``, dropped with the session) and the accepted rows are written by Spark's own Parquet writer
(``SparkConnection.copy_parquet``) for delta-rs to commit.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from . import engine

if TYPE_CHECKING:
    import pyarrow as pa

DEFAULT_SHUFFLE_PARTITIONS = 4
# Arrow tables up to this many rows go to Spark as a local relation; larger ones through a Parquet file.
LOCAL_ROWS = 200_000

_spark_lock = threading.Lock()
_spark: Any = None


def _setting(name: str, default: str | None = None) -> str | None:
    from django.conf import settings

    configured = getattr(settings, name, None) if settings.configured else None
    return str(configured) if configured not in (None, "") else os.environ.get(name, default)


def master() -> str:
    """``REGSHARE_SPARK_MASTER`` or ``local[N]`` with N = ``REGSHARE_SPARK_CORES`` (default: every core)."""
    given = _setting("REGSHARE_SPARK_MASTER")
    if given:
        return given
    cores = int(_setting("REGSHARE_SPARK_CORES") or os.cpu_count() or 1)
    return f"local[{max(cores, 1)}]"


def spark_session() -> Any:
    """The process's one SparkSession, started on first use (UI off, few shuffle partitions, Arrow on)."""
    global _spark
    with _spark_lock:
        if _spark is None:
            os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON") or _python())
            from pyspark.sql import SparkSession

            driver_memory = _setting("REGSHARE_SPARK_DRIVER_MEMORY", "1g")
            builder = (SparkSession.builder.master(master()).appName("regshare")
                       .config("spark.ui.enabled", "false")
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.sql.shuffle.partitions",
                               _setting("REGSHARE_SPARK_SHUFFLE_PARTITIONS", str(DEFAULT_SHUFFLE_PARTITIONS)))
                       .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                       .config("spark.sql.session.timeZone", "UTC")
                       .config("spark.driver.memory", driver_memory)
                       # Results the platform reads back (a province's indicator table) may be as large as
                       # the driver itself: Spark's own 1g cap would refuse them whatever memory was given.
                       .config("spark.driver.maxResultSize",
                               _setting("REGSHARE_SPARK_MAX_RESULT_SIZE", driver_memory)))
            _spark = builder.getOrCreate()
            _spark.sparkContext.setLogLevel("ERROR")
        return _spark


def _python() -> str:
    import sys

    return sys.executable


def stop() -> None:
    """Stop the process's SparkSession (tests, benchmarks); the next session starts a new one."""
    global _spark
    with _spark_lock:
        if _spark is not None:
            _spark.stop()
            _spark = None


def _bind(params: list | None) -> list | None:
    """Parameters as Spark binds them: dates and numbers as they are, ``None`` refused (Spark has no untyped
    NULL literal for a marker; callers write ``IS NULL`` instead)."""
    return list(params) if params else None


class SparkRelation:
    """What ``Session.sql`` returns on Spark: a lazy DataFrame with DuckDB's relation methods."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def to_arrow_table(self) -> pa.Table:
        return self.frame.toArrow()

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self.frame.collect()]

    def fetchone(self) -> tuple | None:
        rows = self.frame.take(1)
        return tuple(rows[0]) if rows else None

    def to_arrow_reader(self, batch_rows: int = 50_000) -> pa.RecordBatchReader:
        import pyarrow as pa

        table = self.frame.toArrow()
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=batch_rows))


class SparkConnection:
    """A platform session's view of the shared SparkSession (its own temporary views and settings)."""

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self.views: set[str] = set()
        self.folder: str | None = None  # Parquet copies of large Arrow tables, removed on close

    def frame_of(self, table: pa.Table) -> Any:
        """A DataFrame of an Arrow table. A small one is sent as it is; a large one is written to Parquet
        first, so that the executors read it in parallel instead of the driver holding it as one relation."""
        table = _spark_types(table)
        if table.num_rows <= LOCAL_ROWS:
            return self.spark.createDataFrame(table)
        import tempfile
        import uuid

        import pyarrow.parquet as pq

        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="regshare-spark-")
        path = os.path.join(self.folder, f"{uuid.uuid4().hex}.parquet")
        pq.write_table(table, path, row_group_size=LOCAL_ROWS)
        return self.spark.read.parquet(path)

    def sql(self, sql: str, params: list | None = None) -> SparkRelation:
        return SparkRelation(self.spark.sql(sql, args=_bind(params)))

    def execute(self, sql: str, params: list | None = None) -> SparkRelation:
        frame = self.spark.sql(sql, args=_bind(params))
        return SparkRelation(frame)

    def copy_parquet(self, query: str, folder: str) -> list[tuple[str, int, dict[str, dict]]]:
        """Write ``query``'s rows as new Parquet files in ``folder`` with Spark's own writer (in parallel, by
        the executors), named as the lake names them, and return per file its name, row count and column
        statistics read from its footer (see ``lake.tables.ParquetExport``)."""
        import shutil
        import tempfile
        import uuid

        import pyarrow.parquet as pq

        staging = tempfile.mkdtemp(prefix="regshare-spark-out-", dir=folder if os.path.isdir(folder) else None)
        try:
            self.spark.sql(query).write.mode("overwrite").option("compression", "snappy").parquet(staging)
            out = []
            for part in sorted(os.listdir(staging)):
                if not part.endswith(".parquet"):
                    continue
                name = f"part-{uuid.uuid4()}-c000.snappy.parquet"
                os.replace(os.path.join(staging, part), os.path.join(folder, name))
                meta = pq.ParquetFile(os.path.join(folder, name)).metadata
                out.append((name, meta.num_rows, _footer_stats(meta)))
            return out
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def close(self) -> None:
        for table in self.spark.catalog.listTables():
            if table.isTemporary and table.name not in self.views:  # made by SQL (``CACHE TABLE``, views)
                self.spark.catalog.uncacheTable(table.name)
                self.spark.catalog.dropTempView(table.name)
        for name in self.views:
            self.spark.catalog.dropTempView(name)
        self.views.clear()
        if self.folder is not None:
            import shutil

            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _footer_stats(meta: Any) -> dict[str, dict]:
    """Per column of a Parquet file: its null count and, where every row group has them, exact min and max
    as text (what DuckDB's ``COPY … RETURN_STATS`` gives the lake)."""
    stats: dict[str, dict] = {}
    for c in range(meta.num_columns):
        name = meta.schema.column(c).name
        nulls, low, high, exact = 0, None, None, True
        for g in range(meta.num_row_groups):
            s = meta.row_group(g).column(c).statistics
            if s is None:
                exact = False
                continue
            nulls += s.null_count or 0
            if not s.has_min_max:
                exact = exact and s.num_values == 0
                continue
            exact = exact and getattr(s, "is_min_value_exact", True) and getattr(s, "is_max_value_exact", True)
            low = s.min if low is None else min(low, s.min)
            high = s.max if high is None else max(high, s.max)
        column: dict = {"null_count": nulls}
        if exact and low is not None:
            column.update({"min": str(low), "max": str(high), "min_is_exact": "true", "max_is_exact": "true"})
        stats[name] = column
    return stats


class SparkDialect(engine.Dialect):
    name = "spark"

    def quote(self, name: str) -> str:
        return "`" + str(name).replace("`", "``") + "`"

    def literal(self, value: str) -> str:
        # Spark reads a backslash in a string literal as an escape.
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS STRING)"

    def contains(self, haystack: str, needle: str) -> str:
        return f"contains({haystack}, {needle})"

    def rule(self, duckdb_sql: str) -> str:
        from .spark_sql import rule

        return rule(duckdb_sql)

    def check_character(self, kind: str, column: str) -> str:
        # Plain SQL: a Python UDF would send every value through a Python worker.
        from .spark_sql import check_character

        return check_character(kind, column)

    def error_list(self, items: list[dict[str, str]]) -> str:
        structs = ", ".join("named_struct(" + ", ".join(f"'{k}', {v}" for k, v in item.items()) + ")" for item in items)
        return f"filter(array({structs}), e -> e.reason IS NOT NULL)"

    def unnest(self, expr: str) -> str:
        return f"explode({expr})"

    def pick(self, values: list[str], position: str) -> str:
        return f"element_at(array({', '.join(values)}), {position})"

    def create_table(self, name: str, query: str) -> str:
        # A cached view, filled now: the following statements read it instead of running the query again.
        return f"CACHE TABLE {name} AS {query}"

    def create_view(self, name: str, query: str) -> str:
        return f"CREATE TEMPORARY VIEW {name} AS {query}"

    def edit_distance(self, left: str, right: str) -> str:
        """Levenshtein distance in characters (Spark counts code points, as DuckDB does)."""
        return f"levenshtein({left}, {right})"

    def regex_matches(self, expr: str, pattern: str) -> str:
        return f"regexp_like({expr}, {pattern})"

    def regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        """Every match replaced (Java's ``$`` and ``\\`` in ``replacement`` are group references)."""
        return f"regexp_replace({expr}, {pattern}, {replacement})"

    def each_integer(self, last: str) -> str:
        return f"explode(sequence(0, {last}))"

    def drop_table(self, name: str) -> str:
        # Dropping the temporary view frees its cache too (the cache is the SparkContext's, shared by all sessions).
        return f"DROP VIEW IF EXISTS {name}"

    def splink_api(self, con: SparkConnection) -> Any:
        """Splink's database API over the platform session's SparkSession (its temporary views).

        Splink's intermediate tables are persisted in memory, not written as Parquet to a checkpoint folder
        (its default outside Databricks), which the shared SparkContext would have to be given. The
        similarity jar Splink ships (jaro_winkler and others) is not registered: it must be on the
        classpath when the SparkSession starts, and the comparisons used here need only Spark's own
        ``levenshtein``.
        """
        from splink import SparkAPI

        return SparkAPI(spark_session=con.spark, break_lineage_method="persist", register_udfs_automatically=False)


# The Delta table profile read by listing files: a deletion vector would hide rows the Parquet files still
# hold, column mapping would rename the Parquet columns. ``tables`` writes neither (delta-rs, default
# properties); a table that has one is refused rather than read wrong.
UNSUPPORTED_FEATURES = ("deletionVectors", "columnMapping")


def profile_problems(delta: Any) -> list[str]:
    """What in a Delta table (``deltalake.DeltaTable``) its files alone cannot show; empty when none."""
    protocol = delta.protocol()
    features = set(protocol.reader_features or []) | set(protocol.writer_features or [])
    config = delta.metadata().configuration or {}
    problems = [f for f in UNSUPPORTED_FEATURES if f in features]
    if config.get("delta.enableDeletionVectors", "false").lower() == "true" and "deletionVectors" not in problems:
        problems.append("deletionVectors")
    if config.get("delta.columnMapping.mode", "none") != "none" and "columnMapping" not in problems:
        problems.append("columnMapping")
    return problems


def _lake_frame(spark: Any, table: engine.LakeTable) -> Any:
    """A lake table's version as a DataFrame: the Parquet files delta-rs lists for it, read with its schema."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from . import tables

    delta = tables._open(table.code, version=table.version, as_of=table.as_of)
    problems = profile_problems(delta)
    if problems:
        raise engine.EngineError(f"资源 {table.code} 的数据表使用了 Spark 直读不支持的特性: {', '.join(problems)}")
    schema = tables._plain_types(delta.to_pyarrow_dataset().schema.empty_table()).schema
    files = delta.file_uris()
    if not files:
        return spark.createDataFrame(schema.empty_table())
    return spark.read.schema(from_arrow_schema(schema)).parquet(*files)


class SparkEngine(engine.Engine):
    """Spark SQL over the process's SparkSession."""

    name = "spark"
    dialect = SparkDialect()
    reads_lake_files = True

    def connect(self, settings: engine.Settings) -> SparkConnection:
        # Threads and memory belong to the SparkSession (``master()``, driver memory), not to one query.
        return SparkConnection(spark_session().newSession())

    def register(self, con: SparkConnection, name: str, obj: Any) -> None:
        import pyarrow as pa

        spark = con.spark
        if isinstance(obj, engine.LakeTable):
            frame = _lake_frame(spark, obj)
        elif isinstance(obj, pa.Table):
            frame = con.frame_of(obj)
        elif isinstance(obj, pa.RecordBatchReader):
            frame = con.frame_of(obj.read_all())
        elif hasattr(obj, "to_table"):  # a pyarrow dataset
            frame = con.frame_of(obj.to_table())
        else:
            frame = obj  # already a Spark DataFrame
        frame.createOrReplaceTempView(name)
        con.views.add(name)

    def unregister(self, con: SparkConnection, name: str) -> None:
        con.spark.catalog.dropTempView(name)
        con.views.discard(name)

    def setting(self, con: SparkConnection, name: str) -> Any:
        return con.spark.conf.get(name)

    def error_class(self) -> type[Exception]:
        from pyspark.errors import PySparkException

        return PySparkException

    def bad_value_errors(self) -> tuple[type[Exception], ...]:
        from pyspark.errors import (
            ArithmeticException,
            DateTimeException,
            NumberFormatException,
            PySparkTypeError,
            PySparkValueError,
        )

        return (NumberFormatException, DateTimeException, ArithmeticException, PySparkTypeError, PySparkValueError)


def _spark_types(table: pa.Table) -> pa.Table:
    """Arrow types Spark's reader takes: large and view strings as plain strings."""
    from . import tables

    return tables._plain_types(table)
