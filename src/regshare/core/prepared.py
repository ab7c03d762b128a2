"""Querysets compiled once and run many times (for the few look-ups on the path of every API call).

Compiling a queryset to SQL (joins, select list, ordering) costs Django several times more than
running it against an index. ``Prepared`` builds the queryset once with sentinel arguments, keeps
the SQL and the compiler's description of the selected columns, and afterwards only substitutes the
arguments, runs the SQL on the database driver's own cursor (Django's cursor wrappers cost more than
such a query) and builds the model instances the way the ORM itself does (converters, ``from_db``,
``select_related`` populators), so what comes back is exactly what the queryset gives.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


@dataclass
class _Compiled:
    sql: str
    params: list
    slots: list[int]
    compiler: object
    converters: dict
    init_list: list[str]
    start: int
    end: int
    model: type[Model]
    select: list


class Prepared:
    """``Prepared(lambda code: Entity.objects.filter(uscc=code), "uscc")``; then ``.all("91…")``.

    The builder must take its arguments as plain filter values (strings or integers) and must
    not branch on them: the SQL is compiled once, from sentinel values."""

    def __init__(self, build: Callable[..., QuerySet], *kinds: str) -> None:
        self.build = build
        self.kinds = kinds  # "str" or "int", one per argument
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _sentinels(self) -> list:
        return [f"\x00prepared-{i}\x00" if kind == "str" else -(7_919_000_000 + i) for i, kind in enumerate(self.kinds)]

    def _compile(self, alias: str) -> _Compiled:
        sentinels = self._sentinels()
        queryset = self.build(*sentinels).using(alias)
        compiler = queryset.query.get_compiler(alias)
        sql, params = compiler.as_sql()
        if connections[alias].vendor == "sqlite":  # the driver's placeholders, as Django's SQLite cursor does
            sql = re.sub(r"(?<!%)%s", "?", sql).replace("%%", "%")
        params = list(params)
        slots = []
        for value in sentinels:
            where = [i for i, p in enumerate(params) if p == value and type(p) is type(value)]
            if len(where) != 1:
                raise ValueError("Prepared: each argument must appear exactly once among the query parameters")
            slots.append(where[0])
        select = compiler.select
        klass_info = compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(sql=sql, params=params, slots=slots, compiler=compiler,
                         converters=compiler.get_converters([s[0] for s in select]),
                         init_list=[s[0].target.attname for s in select[start:end]], start=start, end=end,
                         model=klass_info["model"], select=select)

    def all(self, *values, using: str = "default") -> list[Model]:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(using, self._compile(using))
        params = list(compiled.params)
        for slot, value in zip(compiled.slots, values, strict=True):
            params[slot] = value
        connection = connections[using]
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        populators = get_related_populators(compiled.compiler.klass_info, compiled.select, using)
        out = []
        for row in rows:
            obj = compiled.model.from_db(using, compiled.init_list, row[compiled.start:compiled.end])
            for populator in populators:
                populator.populate(row, obj)
            out.append(obj)
        return out

    def first(self, *values, using: str = "default") -> Model | None:
        found = self.all(*values, using=using)
        return found[0] if found else None


_INSERTS: dict[tuple[type[Model], str], tuple[str, list]] = {}


def insert_statement(instance: Model, connection) -> tuple[str, list]:
    """The INSERT … RETURNING pk of ``insert`` (``%s`` placeholders) and its values for ``instance``."""
    model = type(instance)
    built = _INSERTS.get((model, connection.vendor))
    if built is None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        pk = connection.ops.quote_name(model._meta.pk.column)
        built = _INSERTS.setdefault((model, connection.vendor), (
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks}) "
            f"RETURNING {pk}", fields))
    sql, fields = built
    return sql, [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


def insert(instance: Model, using: str = "default") -> Model:
    """Insert a new instance and set its primary key, with SQL built once per model.

    The same values as ``save()`` writes (``pre_save`` fills ``auto_now_add`` and the like, then each
    field's ``get_db_prep_save``), without the per-call compiling. No ``pre_save``/``post_save``
    signals are sent: use it only for models nothing listens to (check records, logs)."""
    connection = connections[using]
    sql, values = insert_statement(instance, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = using
    return instance


def update_fields(instances: list[Model], fields: list[str], using: str = "default") -> int:
    """Write ``fields`` of each instance by primary key with one prepared UPDATE run for them all.

    The values ``save(update_fields=…)`` would write (each field's ``get_db_prep_save``), where Django's
    ``bulk_update`` builds a CASE expression per row and field in Python, which at hundreds of thousands of
    rows (a nightly pass over a province's register) costs far more than the database's work. No signals
    are sent. Returns the number of instances written."""
    if not instances:
        return 0
    connection = connections[using]
    meta = type(instances[0])._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(c.column)} = %s' for c in columns)} "
           f"WHERE {quote(meta.pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[c.get_db_prep_save(getattr(instance, c.attname), connection) for c in columns]
                                 + [instance.pk] for instance in instances])
    return len(instances)
