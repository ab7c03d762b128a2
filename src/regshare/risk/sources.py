"""The tables the indicators read, as Arrow tables: from the relational records (the entity master, credit
records, 12345 complaints, list entries, closed alerts) and from the lake (licences, XZSP-0001).

Columns are read with ``values_list`` straight into Arrow arrays, chunk by chunk, so no model object is
built; the schemas are those ``indicators`` documents, and the benchmark builds tables of the same shape.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping

from regshare.core.lazy import lazy_module

pa = lazy_module("pyarrow")


class _Schemas(Mapping):
    """The tables' Arrow schemas, built on first use: loading the apps must not import pyarrow."""

    @functools.cached_property
    def _built(self) -> dict[str, pa.Schema]:
        return {
            "entities": pa.schema([("entity_id", pa.int64()), ("uscc", pa.string()), ("name", pa.string()),
                                   ("industry", pa.string()), ("area", pa.string()), ("legal_rep", pa.string()),
                                   ("legal_rep_id", pa.string()), ("phone", pa.string()), ("address", pa.string()),
                                   ("established", pa.date32()), ("established_n", pa.int32())]),
            "credit_records": pa.schema([("entity_id", pa.int64()), ("kind", pa.string()), ("severity", pa.string()),
                                         ("outcome", pa.string()), ("day", pa.date32()), ("raw_legal_rep", pa.string()),
                                         ("raw_address", pa.string())]),
            "complaints": pa.schema([("entity_id", pa.int64()), ("day", pa.date32()), ("food", pa.bool_())]),
            "list_entries": pa.schema([("entity_id", pa.int64()), ("list_type", pa.string()), ("cause", pa.string()),
                                       ("listed_on", pa.date32()), ("removed_on", pa.date32())]),
            "licences": pa.schema([("uscc", pa.string()), ("license_name", pa.string()), ("valid_to", pa.date32())]),
            "feedback": pa.schema([("entity_id", pa.int64()), ("day", pa.date32()), ("confirmed", pa.bool_())]),
        }

    def __getitem__(self, name: str) -> pa.Schema:
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built)

    def __len__(self) -> int:
        return len(self._built)


SCHEMAS = _Schemas()
LICENCE_RESOURCE = "XZSP-0001"
EPOCH = dt.date(1970, 1, 1)
CHUNK = 20_000


def empty(name: str) -> pa.Table:
    return SCHEMAS[name].empty_table()


def _table(name: str, rows, columns: list[str]) -> pa.Table:
    """Arrow table ``name`` from an iterator of tuples in ``columns`` order, built in chunks."""
    schema = SCHEMAS[name]
    batches, chunk = [], []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            batches.append(_batch(schema, columns, chunk))
            chunk = []
    if chunk:
        batches.append(_batch(schema, columns, chunk))
    return pa.Table.from_batches(batches, schema=schema) if batches else empty(name)


def _batch(schema: pa.Schema, columns: list[str], chunk: list[tuple]) -> pa.RecordBatch:
    values = list(zip(*chunk, strict=True))
    return pa.record_batch([pa.array(values[columns.index(f.name)], f.type) for f in schema], schema=schema)


def area_of(address: str) -> str:
    """The town or sub-district (乡镇街道) named in an address: the risk map's area."""
    for marker in ("街道", "镇", "乡"):
        end = address.find(marker)
        if end > 0:
            start = max(address.rfind("区", 0, end), address.rfind("县", 0, end), address.rfind("市", 0, end))
            return address[start + 1:end + len(marker)]
    return ""


def entities_table() -> pa.Table:
    from regshare.entities.models import Entity

    def rows():
        for pk, uscc, name, industry, rep, rep_id, phone, address, established in Entity.objects.order_by("id") \
                .values_list("id", "uscc", "name", "industry", "legal_rep", "legal_rep_id", "phone", "address",
                             "established").iterator(chunk_size=CHUNK):
            yield (pk, uscc, name, industry or "", area_of(address or ""), rep or "", rep_id or "", phone or "",
                   address or "", established, (established - EPOCH).days if established else None)

    return _table("entities", rows(), [f.name for f in SCHEMAS["entities"]])


def credit_table() -> pa.Table:
    from regshare.credit.models import CreditRecord

    rows = CreditRecord.objects.filter(entity__isnull=False).values_list(
        "entity_id", "kind", "severity", "outcome", "decided_on", "raw_legal_rep", "raw_address").iterator(CHUNK)
    return _table("credit_records", rows, [f.name for f in SCHEMAS["credit_records"]])


def complaints_table() -> pa.Table:
    """12345 work orders and complaint credit records, each complaint once (a handled work order also
    becomes a credit record under its order number)."""
    from regshare.credit.models import CreditRecord, RecordKind
    from regshare.supervision.models import Complaint

    seen: set[str] = set()

    def rows():
        for number, entity_id, day, category, content in Complaint.objects.filter(entity__isnull=False) \
                .values_list("order_no", "entity_id", "received_on", "category", "content").iterator(CHUNK):
            seen.add(number)
            yield entity_id, day, "食品" in (category or "") or "食品" in (content or "")
        for number, entity_id, day, title, content in CreditRecord.objects.filter(
                kind=RecordKind.COMPLAINT, entity__isnull=False).values_list(
                "doc_no", "entity_id", "decided_on", "title", "content").iterator(CHUNK):
            if number not in seen:
                yield entity_id, day, "食品" in (title or "") or "食品" in (content or "")

    return _table("complaints", rows(), ["entity_id", "day", "food"])


def lists_table() -> pa.Table:
    from regshare.credit.models import ListEntry

    rows = ListEntry.objects.values_list("entity_id", "list_type", "cause", "listed_on", "removed_on").iterator(CHUNK)
    return _table("list_entries", rows, [f.name for f in SCHEMAS["list_entries"]])


def licences_table() -> pa.Table:
    """Licences with their validity from the lake (XZSP-0001), through the engine; none without the table."""
    from regshare.lake import engine, tables

    if not tables.exists(LICENCE_RESOURCE):
        return empty("licences")
    dataset = tables.dataset(LICENCE_RESOURCE)
    if not {"uscc", "license_name", "valid_to"} <= set(dataset.schema.names):
        return empty("licences")
    with engine.session(tables={"x": engine.LakeTable(LICENCE_RESOURCE)}) as s:
        text = s.dialect.text
        found = s.table(f"SELECT {text('uscc')} AS uscc, {text('license_name')} AS license_name, "
                        "CAST(valid_to AS DATE) AS valid_to FROM x WHERE uscc IS NOT NULL AND valid_to IS NOT NULL")
    return found.cast(SCHEMAS["licences"])


def feedback_table() -> pa.Table:
    from .models import Alert

    rows = Alert.objects.filter(confirmed__isnull=False).values_list("entity_id", "raised_on", "confirmed") \
        .iterator(CHUNK)
    return _table("feedback", rows, ["entity_id", "day", "confirmed"])


def from_database() -> dict[str, pa.Table]:
    """Every table the indicators and labels read, from the records as they stand now."""
    return {"entities": entities_table(), "credit_records": credit_table(), "complaints": complaints_table(),
            "list_entries": lists_table(), "licences": licences_table(), "feedback": feedback_table()}
