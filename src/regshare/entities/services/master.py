"""The entity master (法人库) built from SCJG-0001."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from regshare.core.codes import clean_uscc_arrow, valid_uscc_mask
from regshare.core.lazy import lazy_module
from regshare.lake import engine

from ..codes import normalize_names_arrow
from ..models import Entity

pa = lazy_module("pyarrow")

MASTER_RESOURCE = "SCJG-0001"
MASTER_COLUMNS = ["uscc", "name", "legal_rep", "legal_rep_id", "phone", "address", "established", "capital",
                  "industry", "status"]
BATCH = 5000


def _text(values: list) -> list[str]:
    return ["" if v is None else str(v).strip() for v in values]


def _dates(values: list) -> list[dt.date | None]:
    out: list[dt.date | None] = []
    for v in values:
        if isinstance(v, dt.datetime):
            out.append(v.date())
        elif isinstance(v, dt.date) or v is None:
            out.append(v)
        else:
            try:
                out.append(dt.date.fromisoformat(str(v)[:10]))
            except ValueError:
                out.append(None)
    return out


def _decimals(values: list) -> list[Decimal | None]:
    out: list[Decimal | None] = []
    for v in values:
        try:
            out.append(None if v is None or v == "" else Decimal(str(v)).quantize(Decimal("0.01")))
        except InvalidOperation:
            out.append(None)
    return out


def prepare_master(table: pa.Table) -> pa.Table:
    """Valid, de-duplicated registrations with a normalised name, computed column-wise."""
    for column in MASTER_COLUMNS:
        if column not in table.column_names:
            table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    codes = clean_uscc_arrow(table.column("uscc"))
    table = table.set_column(table.column_names.index("uscc"), "uscc", codes)
    table = table.filter(valid_uscc_mask(codes))
    table = table.append_column("name_norm", normalize_names_arrow(table.column("name")))
    con = engine.open_session(tables={"t": table})
    # The last registration of a code wins (the lake keeps one row per key; this guards files that don't).
    result = con.sql("SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY uscc) = 1 ORDER BY uscc").to_arrow_table()
    con.close()
    return result


def upsert_master(table: pa.Table, version: int) -> int:
    """Bulk upsert of the prepared master into the Entity table (for the pages and the API)."""
    fields = ["name", "name_norm", "legal_rep", "legal_rep_id", "phone", "address", "established", "capital",
              "industry", "status", "source_version"]
    count = 0
    for start in range(0, table.num_rows, BATCH):
        chunk = table.slice(start, BATCH)
        cols = {name: chunk.column(name).to_pylist() for name in chunk.column_names}
        established = _dates(cols["established"])
        capital = _decimals(cols["capital"])
        texts = {k: _text(cols[k]) for k in ("uscc", "name", "name_norm", "legal_rep", "legal_rep_id", "phone",
                                             "address", "industry", "status")}
        objs = [
            Entity(uscc=texts["uscc"][i], name=texts["name"][i][:200], name_norm=texts["name_norm"][i][:200],
                   legal_rep=texts["legal_rep"][i][:100], legal_rep_id=texts["legal_rep_id"][i][:32],
                   phone=texts["phone"][i][:40], address=texts["address"][i][:300], established=established[i],
                   capital=capital[i], industry=texts["industry"][i][:20], status=texts["status"][i][:20],
                   source_version=version)
            for i in range(chunk.num_rows)
        ]
        Entity.objects.bulk_create(objs, update_conflicts=True, unique_fields=["uscc"], update_fields=fields,
                                   batch_size=1000)
        count += len(objs)
    return count
