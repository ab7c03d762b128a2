"""The query engine: the one place that opens engine connections, registers lake tables in them and holds
the SQL that differs between engines (as Splink does: a ``Dialect`` per engine, an ``Engine`` that opens
sessions, and callers that only speak to those two).

``REGSHARE_ENGINE`` (setting, or environment variable of that name) names the engine: ``duckdb`` (the
default) or ``spark`` (``lake.spark``, imported on first use). Another engine plugs in with ``register_engine(name, factory)``:
a factory returning an ``Engine`` whose sessions offer the same methods and whose ``Dialect`` writes its
SQL. Code outside this module never imports ``duckdb`` to connect; it asks for a session::

    from regshare.lake import engine

    with engine.session(tables={"t": engine.LakeTable("SCJG-0001", version=3)}) as s:
        rows = s.table("SELECT count(*) AS n FROM t")

    with engine.bulk_session() as s:          # heavy passes: memory cap, spill folder, every core
        s.execute("CREATE TABLE checked AS ...")

Lake tables are registered as the Delta snapshot delta-rs reads (``lake.tables.dataset``, a pyarrow
dataset that DuckDB scans without copying), so a session sees exactly the version it was given even while
a writer commits the next one. ``duckdb`` itself is imported on the first session, not when this module
is imported, so commands that never query pay nothing for it.
"""

from __future__ import annotations

import abc
import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import pyarrow as pa

DEFAULT_ENGINE = "duckdb"
DEFAULT_BULK_MEMORY = "1500MB"


class EngineError(Exception):
    """The configured engine does not exist, or a session was asked for something the engine cannot do."""


# ----------------------------------------------------------------------------- dialects


class Dialect(abc.ABC):
    """The SQL that differs between engines. Generic code (access queries, diffs of two snapshots) builds its
    statements through these methods; each engine's dialect writes them its own way. Placeholders are
    positional (``?``) in every engine: a session binds its ``params`` in order."""

    name = "generic"

    def quote(self, name: str) -> str:
        """An identifier (a column named by a provider may hold any character)."""
        return '"' + str(name).replace('"', '""') + '"'

    def literal(self, value: str) -> str:
        return "'" + str(value).replace("'", "''") + "'"

    @abc.abstractmethod
    def text(self, expr: str) -> str:
        """``expr`` as text, to compare a typed column with a value the caller sent as text."""

    @abc.abstractmethod
    def contains(self, haystack: str, needle: str) -> str:
        ...

    def md5(self, expr: str) -> str:
        return f"md5({expr})"

    def in_placeholders(self, expr: str, count: int) -> str:
        return f"{expr} IN ({', '.join('?' for _ in range(count))})"

    def limit(self, limit: int, offset: int = 0) -> str:
        return f" LIMIT {int(limit)}" + (f" OFFSET {int(offset)}" if offset else "")

    # The ingest pass (``ingest.pipeline``): one statement per step, written by the engine's dialect.
    # ``row_position``: the expression numbering a table's rows in insertion order, or ``None`` when the
    # engine has none (the pipeline then numbers the source's rows before the engine gets them).
    row_position: str | None = None

    def rule(self, duckdb_sql: str) -> str:
        """A cleaning or validation expression of ``ingest.rules`` (written in DuckDB SQL) in this engine's SQL."""
        raise EngineError(f"{self.name} 引擎不能运行数据校验规则")

    def register_functions(self, session: Session) -> None:
        """Whatever functions ``check_character`` needs, registered in ``session`` (none by default)."""
        return None

    def check_character(self, kind: str, column: str) -> str:
        """The check character a USCC (``kind="uscc"``) or ID-card number must end with, NULL when it is
        wrong before that (``core.codes.expected_check_chars``)."""
        raise EngineError(f"{self.name} 引擎不能计算校验码")

    def error_list(self, items: list[dict[str, str]]) -> str:
        """A row's rejected fields from one struct per field (``i``, ``reason``, ``value``, ``typed``
        expressions), keeping those whose ``reason`` is not NULL, in the form ``decode_errors`` reads."""
        raise EngineError(f"{self.name} 引擎不支持列表")

    def decode_errors(self, column: str) -> str:
        """``error_list``'s column as a list of structs."""
        return column

    def unnest(self, expr: str) -> str:
        """One row per item of the list ``expr`` (in a select list)."""
        raise EngineError(f"{self.name} 引擎不支持列表")

    def pick(self, values: list[str], position: str) -> str:
        """The ``position``-th (from 1) of ``values``."""
        return "CASE " + " ".join(f"WHEN {position} = {i} THEN {v}" for i, v in enumerate(values, 1)) + " END"

    def create_table(self, name: str, query: str) -> str:
        """A table the session keeps (computed once) for the following statements."""
        return f"CREATE TABLE {name} AS {query}"

    def drop_table(self, name: str) -> str:
        """Free a ``create_table`` table before the session ends."""
        return f"DROP TABLE IF EXISTS {name}"

    def create_view(self, name: str, query: str) -> str:
        return f"CREATE VIEW {name} AS {query}"

    def copy_to_parquet(self, query: str, path: str) -> str | None:
        """A statement writing ``query``'s rows to the Parquet file ``path``, or ``None``: the caller fetches
        the rows as Arrow and writes them."""
        return None


class DuckDBDialect(Dialect):
    name = "duckdb"
    row_position = "rowid"
    # ``error_list`` is stored as JSON text: a LIST column costs every row, even when nearly all are NULL.
    ERRORS_TYPE = '[{"i": "INTEGER", "reason": "VARCHAR", "value": "VARCHAR", "typed": "BOOLEAN"}]'

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def contains(self, haystack: str, needle: str) -> str:
        return f"contains({haystack}, {needle})"

    def rule(self, duckdb_sql: str) -> str:
        return duckdb_sql

    def register_functions(self, session: Session) -> None:
        from regshare.core.codes import register_check_functions

        register_check_functions(session.con)

    def check_character(self, kind: str, column: str) -> str:
        return f"{'uscc_check' if kind == 'uscc' else 'id_check'}({column})"

    def error_list(self, items: list[dict[str, str]]) -> str:
        structs = ", ".join("{" + ", ".join(f"'{k}': {v}" for k, v in item.items()) + "}" for item in items)
        return f"to_json(list_filter([{structs}], lambda e: e.reason IS NOT NULL))"

    def decode_errors(self, column: str) -> str:
        return f"from_json({column}, {self.literal(self.ERRORS_TYPE)})"

    def unnest(self, expr: str) -> str:
        return f"unnest({expr})"

    def pick(self, values: list[str], position: str) -> str:
        return f"[{', '.join(values)}][{position}]"

    def copy_to_parquet(self, query: str, path: str) -> str | None:
        return f"COPY ({query}) TO {self.literal(path)} (FORMAT parquet)"

    def edit_distance(self, left: str, right: str) -> str:
        """Levenshtein distance in characters (DuckDB 2 counts code points: one CJK character is 1)."""
        return f"levenshtein({left}, {right})"

    def regex_matches(self, expr: str, pattern: str) -> str:
        """True where ``pattern`` (a SQL literal; RE2 and Java read it alike) occurs anywhere in ``expr``."""
        return f"regexp_matches({expr}, {pattern})"

    def regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        """Every match replaced (``'g'``: DuckDB replaces only the first one by default)."""
        return f"regexp_replace({expr}, {pattern}, {replacement}, 'g')"

    def each_integer(self, last: str) -> str:
        """A select-list expression that repeats the row once for every integer 0 … ``last``."""
        return f"unnest(range(0, ({last}) + 1))"

    def splink_api(self, con: Any) -> Any:
        """Splink's database API over the session's own connection (``Session.con``)."""
        from splink import DuckDBAPI

        return DuckDBAPI(connection=con)


# ----------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class Settings:
    """Per-session engine settings; ``None`` leaves the engine's default."""

    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: str | None = None
    preserve_insertion_order: bool | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class LakeTable:
    """A resource's lake table to register in a session: the current version, ``version`` or ``as_of``."""

    code: str
    version: int | None = None
    as_of: Any = None  # datetime


Registrable: TypeAlias = "LakeTable | pa.Table | pa.RecordBatchReader | Any"  # Any: a pyarrow dataset


class Session:
    """One engine connection. ``con`` is the engine's own connection, for libraries that take one (Splink);
    everything else goes through the methods, so that another engine can offer the same ones."""

    def __init__(self, engine: Engine, con: Any, settings: Settings) -> None:
        self.engine, self.con, self.settings = engine, con, settings
        self.dialect = engine.dialect

    # Registration -----------------------------------------------------------------------------
    def register(self, name: str, obj: Registrable) -> Any:
        """Make ``obj`` queryable as ``name``: a ``LakeTable`` (its Delta snapshot), an Arrow table,
        record batch reader or dataset. Returns what was registered (the dataset of a lake table)."""
        if isinstance(obj, LakeTable) and not self.engine.reads_lake_files:
            from . import tables

            obj = tables.dataset(obj.code, version=obj.version, as_of=obj.as_of)
        self.engine.register(self.con, name, obj)
        return obj

    def unregister(self, name: str) -> None:
        self.engine.unregister(self.con, name)

    # Queries ----------------------------------------------------------------------------------
    def execute(self, sql: str, params: list | None = None) -> Any:
        """Run a statement; the result's ``fetchone()``/``fetchall()`` give Python rows."""
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def sql(self, sql: str, params: list | None = None) -> Any:
        """A lazy relation (``to_arrow_table()``, ``fetchall()``, ``to_arrow_reader(n)``)."""
        return self.con.sql(sql, params=params) if params is not None else self.con.sql(sql)

    def table(self, sql: str, params: list | None = None) -> pa.Table:
        return self.sql(sql, params).to_arrow_table()

    def reader(self, sql: str, params: list | None = None, batch_rows: int = 50_000) -> pa.RecordBatchReader:
        return self.sql(sql, params).to_arrow_reader(batch_rows)

    def scalar(self, sql: str, params: list | None = None) -> Any:
        rows = self.execute(sql, params).fetchall()  # fetched to the end: the connection is free again
        return rows[0][0] if rows else None

    def setting(self, name: str) -> Any:
        return self.engine.setting(self.con, name)

    # Errors -----------------------------------------------------------------------------------
    @property
    def Error(self) -> type[Exception]:  # noqa: N802 - used as an exception class: ``except s.Error``
        return self.engine.error_class()

    @property
    def bad_value_errors(self) -> tuple[type[Exception], ...]:
        """Errors a query raises for a value the caller sent that does not fit its column (a 400, not a 500)."""
        return self.engine.bad_value_errors()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Engine(abc.ABC):
    """Opens sessions of one engine. Subclasses implement ``connect`` and the registration and error hooks."""

    name = "generic"
    dialect: Dialect
    # True: ``register`` gets a ``LakeTable`` itself and reads the version's files its own way (Spark);
    # False: it gets the delta-rs snapshot as a pyarrow dataset.
    reads_lake_files = False

    @abc.abstractmethod
    def connect(self, settings: Settings) -> Any:
        ...

    @abc.abstractmethod
    def register(self, con: Any, name: str, obj: Any) -> None:
        ...

    @abc.abstractmethod
    def unregister(self, con: Any, name: str) -> None:
        ...

    @abc.abstractmethod
    def setting(self, con: Any, name: str) -> Any:
        ...

    @abc.abstractmethod
    def error_class(self) -> type[Exception]:
        ...

    @abc.abstractmethod
    def bad_value_errors(self) -> tuple[type[Exception], ...]:
        ...

    def open(self, *, tables: dict[str, Registrable] | None = None, settings: Settings | None = None) -> Session:
        session = Session(self, self.connect(settings or Settings()), settings or Settings())
        try:
            for name, obj in (tables or {}).items():
                session.register(name, obj)
        except BaseException:
            session.close()
            raise
        return session


class DuckDBEngine(Engine):
    """DuckDB in process: one in-memory database per session (sessions share nothing but the files)."""

    name = "duckdb"
    dialect = DuckDBDialect()

    def connect(self, settings: Settings) -> Any:
        import duckdb

        config = settings.given()
        if "temp_directory" in config:
            Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
        if config.get("preserve_insertion_order"):
            # DuckDB rewrites an IN list of more than a few constants into a join, and a statement with a join
            # no longer writes its rows in the order it read them: row numbers taken from that order (a file's
            # line numbers) would then be wrong. The list stays a comparison where order matters.
            config["disabled_optimizers"] = "in_clause"
        return duckdb.connect(config=config)

    def register(self, con: Any, name: str, obj: Any) -> None:
        con.register(name, obj)

    def unregister(self, con: Any, name: str) -> None:
        con.unregister(name)

    def setting(self, con: Any, name: str) -> Any:
        return con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]

    def error_class(self) -> type[Exception]:
        import duckdb

        return duckdb.Error

    def bad_value_errors(self) -> tuple[type[Exception], ...]:
        import duckdb

        return (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.BinderException)


# ----------------------------------------------------------------------------- the configured engine


def _spark_engine() -> Engine:
    from .spark import SparkEngine  # pyspark only when a Spark session is asked for

    return SparkEngine()


_factories: dict[str, Callable[[], Engine]] = {"duckdb": DuckDBEngine, "spark": _spark_engine}
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def register_engine(name: str, factory: Callable[[], Engine]) -> None:
    """Make ``REGSHARE_ENGINE=name`` open sessions of the engine ``factory()`` returns."""
    with _lock:
        _factories[name] = factory
        _engines.pop(name, None)


def engine_name() -> str:
    from django.conf import settings

    configured = getattr(settings, "REGSHARE_ENGINE", None) if settings.configured else None
    return (configured or os.environ.get("REGSHARE_ENGINE") or DEFAULT_ENGINE).strip().lower()


def get_engine(name: str | None = None) -> Engine:
    name = name or engine_name()
    with _lock:
        found = _engines.get(name)
        if found is None:
            factory = _factories.get(name)
            if factory is None:
                raise EngineError(f"未知的查询引擎: {name}(可用: {', '.join(sorted(_factories))})")
            found = _engines[name] = factory()
        return found


def dialect() -> Dialect:
    return get_engine().dialect


def open_session(*, tables: dict[str, Registrable] | None = None, settings: Settings | None = None,
                 engine: str | None = None) -> Session:
    """A session the caller closes (``close()``): for a connection that outlives one call, such as a
    download streamed after the view returned. Prefer ``session()`` everywhere else."""
    return get_engine(engine).open(tables=tables, settings=settings)


@contextlib.contextmanager
def session(*, tables: dict[str, Registrable] | None = None, threads: int | None = None,
            memory_limit: str | None = None, engine: str | None = None) -> Iterator[Session]:
    """A short session for one request or one step: ``tables`` registered by name, closed on exit."""
    s = open_session(tables=tables, settings=Settings(threads=threads, memory_limit=memory_limit), engine=engine)
    try:
        yield s
    finally:
        s.close()


def bulk_settings(*, memory_limit: str | None = None, threads: int | None = None) -> Settings:
    """Settings of a heavy pass (a load, a rebuild): a memory cap with spilling to a temporary folder, so a
    file larger than memory still goes through, every core, and the source's row order kept (row numbers
    in a load's report are positions in the file). ``REGSHARE_BULK_MEMORY`` (or the older
    ``REGSHARE_INGEST_MEMORY``) sets the cap."""
    from django.conf import settings as django_settings

    configured = getattr(django_settings, "REGSHARE_BULK_MEMORY", None) if django_settings.configured else None
    limit = (memory_limit or configured or os.environ.get("REGSHARE_BULK_MEMORY")
             or os.environ.get("REGSHARE_INGEST_MEMORY") or DEFAULT_BULK_MEMORY)
    spill = Path(tempfile.gettempdir()) / "regshare-duckdb"
    return Settings(threads=threads or os.cpu_count() or 1, memory_limit=limit, temp_directory=str(spill),
                    preserve_insertion_order=True)


def open_bulk_session(*, tables: dict[str, Registrable] | None = None, memory_limit: str | None = None,
                      threads: int | None = None, engine: str | None = None) -> Session:
    return get_engine(engine).open(tables=tables, settings=bulk_settings(memory_limit=memory_limit, threads=threads))


@contextlib.contextmanager
def bulk_session(*, tables: dict[str, Registrable] | None = None, memory_limit: str | None = None,
                 threads: int | None = None, engine: str | None = None) -> Iterator[Session]:
    """A session for a heavy pass (see ``bulk_settings``), closed on exit."""
    s = open_bulk_session(tables=tables, memory_limit=memory_limit, threads=threads, engine=engine)
    try:
        yield s
    finally:
        s.close()
