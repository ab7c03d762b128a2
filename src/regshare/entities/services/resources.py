"""Shared resources that name entities: their key columns, and linking each new version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction

from regshare.core.lazy import lazy_module

from .increments import LINK_CONSUMER, mark_applied, master_for_linkage, plan, rebuild_master
from .linking import LinkOutcome, link_records
from .master import MASTER_RESOURCE

pc = lazy_module("pyarrow.compute")
pa = lazy_module("pyarrow")


@dataclass
class ResourceColumns:
    code: str
    key: list[str]
    uscc: str | None
    name: str | None
    legal_rep: str | None
    address: str | None
    tags: dict[str, str]
    labels: dict[str, str]


def resource_columns(resource) -> ResourceColumns | None:
    from regshare.catalog.models import FieldTag

    fields = list(resource.fields.all())
    by_tag: dict[str, str] = {}
    for f in fields:
        by_tag.setdefault(f.tag, f.code_name)
    if FieldTag.USCC not in by_tag and FieldTag.COMPANY_NAME not in by_tag:
        return None
    return ResourceColumns(
        code=resource.code, key=[f.code_name for f in fields if f.is_key],
        uscc=by_tag.get(FieldTag.USCC), name=by_tag.get(FieldTag.COMPANY_NAME),
        legal_rep=by_tag.get(FieldTag.PERSON_NAME), address=by_tag.get(FieldTag.ADDRESS),
        tags={f.code_name: f.tag for f in fields}, labels={f.code_name: f.name for f in fields})


def linkable_resources() -> list[tuple[object, ResourceColumns]]:
    from regshare.catalog.models import Resource

    out = []
    for resource in Resource.objects.exclude(code=MASTER_RESOURCE).select_related("provider").prefetch_related("fields"):
        cols = resource_columns(resource)
        if cols is not None:
            out.append((resource, cols))
    return out


def _record_keys(table: pa.Table, cols: ResourceColumns) -> pa.Array:
    key = [k for k in cols.key if k in table.column_names]
    if key:
        parts = [pc.cast(table.column(k), pa.string()).fill_null("") for k in key]
        return pc.binary_join_element_wise(*parts, "|") if len(parts) > 1 else parts[0]
    # No declared key: a digest of the whole row keeps the key stable across versions.
    rows = zip(*[pc.cast(table.column(c), pa.string()).fill_null("").to_pylist() for c in table.column_names],
               strict=True)
    return pa.array([hashlib.md5("\x1f".join(r).encode()).hexdigest() for r in rows])


def link_resource(code: str, version: int | None = None, *, full: bool = False) -> LinkOutcome | None:
    """Link the records of a shared resource that have no usable code: those new or changed since the
    version linked last (every record of the version with ``full``, on a first run or a reloaded table)."""
    from regshare.catalog.models import Resource

    resource = Resource.objects.filter(code=code).prefetch_related("fields").first()
    if resource is None or code == MASTER_RESOURCE:
        return None
    cols = resource_columns(resource)
    if cols is None:
        return None
    increment = plan(LINK_CONSUMER, code, version, full=full)
    if increment is None:
        return None
    outcome = LinkOutcome()
    rows = 0
    loaded: list[pa.Table] = []

    def master() -> pa.Table:  # once per run, and only if a batch has records without a known code
        if not loaded:
            loaded.append(master_for_linkage())
        return loaded[0]

    for table in increment.batches():
        rows += table.num_rows
        n = table.num_rows

        def pick(column: str | None, table=table, n=n) -> pa.ChunkedArray | pa.Array:
            if column and column in table.column_names:
                return pc.cast(table.column(column), pa.string())
            return pa.nulls(n, pa.string())

        records = pa.table({"record_key": _record_keys(table, cols), "uscc": pick(cols.uscc),
                            "name": pick(cols.name), "legal_rep": pick(cols.legal_rep),
                            "address": pick(cols.address), "established": pa.nulls(n, pa.string())})
        part = link_records(code, records, master=master)
        outcome.exact.update(part.exact)
        outcome.probabilistic.update(part.probabilistic)
        outcome.candidates += part.candidates
        outcome.unmatched += part.unmatched
    with transaction.atomic():
        mark_applied(increment, rows)
    return outcome


def on_version_written(resource_code: str, version: int, mode: str) -> None:
    """Lake hook: a new master version rebuilds the master; any other version is linked."""
    from .. import tasks

    tasks.process_version(resource_code, version)


def process_version(resource_code: str, version: int) -> None:
    if resource_code == MASTER_RESOURCE:
        rebuild_master(version)
    else:
        link_resource(resource_code, version)
