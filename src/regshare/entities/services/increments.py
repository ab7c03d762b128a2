"""Incremental runs: which lake versions a consumer has applied, and the rebuild of the master."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from regshare.core import audit
from regshare.core.lazy import lazy_module

from .. import linkage
from ..models import AppliedVersion, Entity
from .master import BATCH, MASTER_COLUMNS, MASTER_RESOURCE, prepare_master, upsert_master

pa = lazy_module("pyarrow")


MASTER_CONSUMER = "entities.master"
LINK_CONSUMER = "entities.links"
READ_BATCH = 100_000  # rows of a lake version read at once: bounds a full rebuild's memory at any size


@dataclass
class Increment:
    """What a run applies: the lake ``version`` of ``resource``, either in full (``since`` is None) or
    only the rows that changed since the version ``since`` that the consumer applied last."""

    consumer: str
    resource: str
    version: int
    since: int | None
    table_id: str

    @property
    def full(self) -> bool:
        return self.since is None

    @property
    def up_to_date(self) -> bool:
        return self.since is not None and self.since >= self.version

    def batches(self, columns: list[str] | None = None):
        """The rows to apply, as Arrow tables of at most ``READ_BATCH`` rows."""
        from regshare.lake import tables

        if self.up_to_date:
            return
        if self.full:
            dataset = tables.dataset(self.resource, version=self.version)
            names = [c for c in columns if c in dataset.schema.names] if columns else None
            for batch in dataset.to_batches(columns=names, batch_size=READ_BATCH):
                if batch.num_rows:
                    yield pa.Table.from_batches([batch])
            return
        changed = tables.changes(self.resource, self.since, self.version)
        changed = changed.drop_columns([tables.CHANGE_TYPE])
        if columns:
            changed = changed.select([c for c in columns if c in changed.column_names])
        for start in range(0, changed.num_rows, READ_BATCH):
            yield changed.slice(start, READ_BATCH)


def plan(consumer: str, resource: str, version: int | None = None, *, full: bool = False) -> Increment | None:
    """The run ``consumer`` owes for ``resource`` (None while the resource has no lake table).

    Incremental when the consumer applied an earlier version of the same Delta table; in full when asked
    (``full``), on the first run, after the table was dropped and loaded again (its identifier changed)
    or when the version applied last can no longer be read (history cleaned up). A version older than
    the one applied is already covered: the increment is empty.
    """
    from regshare.lake import tables

    current = tables.current_version(resource)
    if current is None:
        return None
    version = current if version is None else version
    table_id = tables.table_id(resource) or ""
    applied = AppliedVersion.objects.filter(consumer=consumer, resource=resource).first()
    since = None
    if not full and applied is not None and applied.table_id == table_id:
        since = min(applied.version, version) if applied.version <= current else None
        if since is not None and since < version:
            try:
                tables.dataset(resource, version=since)
            except Exception:  # the applied version was vacuumed away: rebuild from the snapshot
                since = None
    return Increment(consumer, resource, version, since, table_id)


def mark_applied(increment: Increment, rows: int) -> None:
    """Record the version applied (inside the run's transaction, so a failed run records nothing)."""
    AppliedVersion.objects.update_or_create(
        consumer=increment.consumer, resource=increment.resource,
        defaults={"table_id": increment.table_id, "version": increment.version,
                  "mode": "full" if increment.full else "increment", "rows": rows})


def rebuild_master(version: int | None = None, actor: object = "system", *, full: bool = False) -> int:
    """Bring the master up to the SCJG-0001 snapshot; returns the number of entities upserted.

    Only the rows changed since the version applied last are read and upserted, unless ``full`` (or a
    first run, a dropped and reloaded table, or an empty master) asks for the whole snapshot, which is
    then read in batches. Entities are never deleted: a registration missing from a later version
    keeps its entity, whose links and credit records still refer to it.
    """
    increment = plan(MASTER_CONSUMER, MASTER_RESOURCE, version, full=full)
    if increment is None:
        return 0
    if not increment.full and not Entity.objects.exists():
        increment.since = None  # the master table was emptied: the recorded version says nothing of it
    if increment.up_to_date:
        return 0
    count = rows = 0
    with transaction.atomic():
        for raw in increment.batches(MASTER_COLUMNS):
            rows += raw.num_rows
            count += upsert_master(prepare_master(raw), increment.version)
        mark_applied(increment, rows)
        audit.record(actor, "entities.master_rebuilt", f"resource:{MASTER_RESOURCE}",
                     {"version": increment.version, "since": increment.since,
                      "mode": "full" if increment.full else "increment", "entities": count, "rows": rows,
                      "invalid_or_duplicate": rows - count})
    return count


def master_for_linkage() -> pa.Table:
    """The master's linkage columns, read from the Entity table in chunks straight into Arrow (a million
    entities as Python objects at once would take gigabytes)."""
    columns: dict[str, list[pa.Array]] = {c: [] for c in ("uscc", "name", "legal_rep", "address", "established")}
    rows = Entity.objects.order_by().values_list("uscc", "name", "legal_rep", "address", "established")
    chunk: list[tuple] = []

    def flush() -> None:
        if not chunk:
            return
        uscc, name, rep, address, established = zip(*chunk, strict=True)
        columns["uscc"].append(pa.array(uscc, pa.string()))
        columns["name"].append(pa.array(name, pa.string()))
        columns["legal_rep"].append(pa.array(rep, pa.string()))
        columns["address"].append(pa.array(address, pa.string()))
        columns["established"].append(pa.array([d.isoformat() if d else None for d in established], pa.string()))
        chunk.clear()

    for row in rows.iterator(chunk_size=BATCH):
        chunk.append(row)
        if len(chunk) >= 50_000:
            flush()
    flush()
    table = pa.table({name: pa.chunked_array(parts, pa.string()) for name, parts in columns.items()})
    return linkage.prepare(table, "uscc")
