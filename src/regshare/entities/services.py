"""Rules of the entity master: rebuild from SCJG-0001, link records, review candidates, profiles."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from regshare.core import audit, panels
from regshare.core.codes import clean_uscc, clean_uscc_arrow, uscc_error, valid_uscc_mask
from regshare.core.lazy import lazy_module
from regshare.core.permissions import Principal, has_perm
from regshare.core.prepared import Prepared
from regshare.lake import engine

from . import linkage
from .codes import normalize_names_arrow
from .models import Entity, EntityLink, LinkMethod, LinkStatus

pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

log = logging.getLogger(__name__)

MASTER_RESOURCE = "SCJG-0001"
MASTER_COLUMNS = ["uscc", "name", "legal_rep", "legal_rep_id", "phone", "address", "established", "capital",
                  "industry", "status"]
BATCH = 5000


def thresholds() -> linkage.LinkThresholds:
    accept, review = getattr(settings, "REGSHARE_LINK_THRESHOLDS", (0.70, 0.10))
    return linkage.LinkThresholds(accept=accept, review=review)


# ---------------------------------------------------------------- master (法人库)

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


def rebuild_master(version: int | None = None, actor: object = "system") -> int:
    """Rebuild the master from the SCJG-0001 snapshot; returns the number of entities upserted."""
    from regshare.lake import tables

    if not tables.exists(MASTER_RESOURCE):
        return 0
    version = tables.current_version(MASTER_RESOURCE) if version is None else version
    available = tables.dataset(MASTER_RESOURCE, version=version).schema.names
    raw = tables.read(MASTER_RESOURCE, columns=[c for c in MASTER_COLUMNS if c in available], version=version)
    prepared = prepare_master(raw)
    with transaction.atomic():
        count = upsert_master(prepared, version)
        audit.record(actor, "entities.master_rebuilt", f"resource:{MASTER_RESOURCE}",
                     {"version": version, "entities": count, "rows": raw.num_rows,
                      "invalid_or_duplicate": raw.num_rows - count})
    return count


def master_for_linkage() -> pa.Table:
    """The master's linkage columns: from the lake snapshot (Arrow) when present, else the Entity table."""
    rows = Entity.objects.values_list("uscc", "name", "legal_rep", "address", "established")
    uscc, name, rep, address, established = (list(c) for c in zip(*rows, strict=True)) if rows else ([],) * 5
    table = pa.table({"uscc": pa.array(uscc, pa.string()), "name": pa.array(name, pa.string()),
                      "legal_rep": pa.array(rep, pa.string()), "address": pa.array(address, pa.string()),
                      "established": pa.array([d.isoformat() if d else None for d in established], pa.string())})
    return linkage.prepare(table, "uscc")


# ---------------------------------------------------------------- linkage of records

LinkListener = Callable[[str, str, "Entity | None"], None]
_listeners: list[LinkListener] = []


def on_link_decided(listener: LinkListener) -> LinkListener:
    """Apps that keep their own entity reference (credit) learn of reviewed links here."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


@dataclass
class LinkOutcome:
    exact: dict[str, int] = field(default_factory=dict)          # record_key -> entity id
    probabilistic: dict[str, int] = field(default_factory=dict)  # auto-accepted
    candidates: int = 0
    unmatched: int = 0


def link_records(source: str, records: pa.Table, *, master: pa.Table | None = None) -> LinkOutcome:
    """Link records (columns record_key, uscc, name, legal_rep, address, established) to entities.

    A valid code found in the master links exactly (not stored: the code is the link). Everything
    else goes through Splink; accepted, candidate and unmatched outcomes are stored as EntityLink
    rows, replacing earlier automatic outcomes of the same records but never a human decision.
    """
    outcome = LinkOutcome()
    if records.num_rows == 0:
        return outcome
    for column in ("uscc", "name", "legal_rep", "address", "established"):
        if column not in records.column_names:
            records = records.append_column(column, pa.nulls(records.num_rows, pa.string()))
    keys = records.column("record_key").cast(pa.string()).to_pylist()
    codes = clean_uscc_arrow(records.column("uscc")).to_pylist()
    known = dict(Entity.objects.filter(uscc__in={c for c in codes if c}).values_list("uscc", "id"))
    rest_idx = []
    for i, (key, code) in enumerate(zip(keys, codes, strict=True)):
        if code in known:
            outcome.exact[key] = known[code]
        else:
            rest_idx.append(i)
    decided = set(EntityLink.objects.filter(source=source, method=LinkMethod.MANUAL)
                  .values_list("record_key", flat=True))
    rest = records.take(pa.array(rest_idx, pa.int64())) if rest_idx else records.slice(0, 0)
    rest = rest.filter(pc.invert(pc.is_in(rest.column("record_key").cast(pa.string()),
                                          pa.array(sorted(decided), pa.string())))) if decided else rest
    named = rest.filter(pc.greater(pc.utf8_length(normalize_names_arrow(rest.column("name"))), 0))
    best = linkage.link(master if master is not None else master_for_linkage(),
                        linkage.prepare(named, "record_key"), thresholds()) if named.num_rows else None
    by_key = {}
    if best is not None:
        for row in best.to_pylist():
            by_key[row["record_id"]] = row
    raw_uscc = dict(zip(rest.column("record_key").cast(pa.string()).to_pylist(),
                        _text(rest.column("uscc").to_pylist()), strict=True))
    raw_name = dict(zip(rest.column("record_key").cast(pa.string()).to_pylist(),
                        _text(rest.column("name").to_pylist()), strict=True))
    entity_ids = dict(Entity.objects.filter(uscc__in={r["uscc"] for r in by_key.values()})
                      .values_list("uscc", "id"))
    limits = thresholds()
    links = []
    for key in raw_uscc:
        row = by_key.get(key)
        status = (linkage.classify(row["match_probability"], row["runner_up"], limits, row["unique_name"])
                  if row else "unmatched")
        entity_id = entity_ids.get(row["uscc"]) if row and status != "unmatched" else None
        if status == "linked":
            outcome.probabilistic[key] = entity_id
        elif status == "candidate":
            outcome.candidates += 1
        else:
            outcome.unmatched += 1
        links.append(EntityLink(
            source=source, record_key=key, entity_id=entity_id, raw_uscc=raw_uscc[key][:60],
            raw_name=raw_name[key][:200], method=LinkMethod.PROBABILISTIC, status=status,
            match_weight=row["match_weight"] if row else None,
            match_probability=row["match_probability"] if row else None))
    with transaction.atomic():
        (EntityLink.objects.filter(source=source, record_key__in=list(raw_uscc))
         .exclude(method=LinkMethod.MANUAL).delete())
        EntityLink.objects.bulk_create(links, batch_size=1000)
        audit.record("system", "entities.linked", f"source:{source}",
                     {"exact": len(outcome.exact), "probabilistic": len(outcome.probabilistic),
                      "candidates": outcome.candidates, "unmatched": outcome.unmatched})
    return outcome


def decide_candidate(principal: Principal, link_id: int, accept: bool, note: str = "") -> EntityLink:
    """Confirm or reject a candidate link from the review queue (audited)."""
    if not has_perm(principal, "entities.review"):
        raise PermissionDenied("无权审核关联候选")
    with transaction.atomic():
        link = EntityLink.objects.select_for_update().filter(pk=link_id).first()
        if link is None:
            raise Http404("关联候选不存在")
        if link.status != LinkStatus.CANDIDATE:
            raise ValidationError("该候选已处理,不能重复确认或否决", code="link_already_decided")
        link.status = LinkStatus.LINKED if accept else LinkStatus.REJECTED
        link.method = LinkMethod.MANUAL
        link.reviewed_by = principal.user
        link.reviewed_at = timezone.now()
        link.save()
        if accept:
            # One record names one entity: the other candidates of the same record fall.
            (EntityLink.objects.filter(source=link.source, record_key=link.record_key, status=LinkStatus.CANDIDATE)
             .exclude(pk=link.pk).update(status=LinkStatus.REJECTED, method=LinkMethod.MANUAL,
                                         reviewed_by=principal.user, reviewed_at=link.reviewed_at))
        audit.record(principal, "entities.link_confirmed" if accept else "entities.link_rejected", link,
                     {"source": link.source, "record_key": link.record_key, "entity": link.entity.uscc
                      if link.entity else None, "probability": link.match_probability, "note": note})
        for listener in _listeners:
            listener(link.source, link.record_key, link.entity if accept else None)
    return link


def review_queue(query: str = "") -> QuerySet[EntityLink]:
    qs = EntityLink.objects.filter(status=LinkStatus.CANDIDATE).select_related("entity")
    if query:
        qs = qs.filter(Q(raw_name__icontains=query) | Q(entity__name__icontains=query) | Q(source=query))
    return qs.order_by("-match_probability", "id")


# ---------------------------------------------------------------- shared resources that name entities

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


def link_resource(code: str, version: int | None = None) -> LinkOutcome | None:
    """Link every record of a shared resource's current version that has no usable code."""
    from regshare.catalog.models import Resource
    from regshare.lake import tables

    resource = Resource.objects.filter(code=code).prefetch_related("fields").first()
    if resource is None or code == MASTER_RESOURCE or not tables.exists(code):
        return None
    cols = resource_columns(resource)
    if cols is None:
        return None
    table = tables.read(code, version=version)
    n = table.num_rows

    def pick(column: str | None) -> pa.ChunkedArray | pa.Array:
        if column and column in table.column_names:
            return pc.cast(table.column(column), pa.string())
        return pa.nulls(n, pa.string())

    records = pa.table({"record_key": _record_keys(table, cols), "uscc": pick(cols.uscc), "name": pick(cols.name),
                        "legal_rep": pick(cols.legal_rep), "address": pick(cols.address),
                        "established": pa.nulls(n, pa.string())})
    return link_records(code, records)


def on_version_written(resource_code: str, version: int, mode: str) -> None:
    """Lake hook: a new master version rebuilds the master; any other version is linked."""
    from . import tasks

    tasks.process_version(resource_code, version)


def process_version(resource_code: str, version: int) -> None:
    if resource_code == MASTER_RESOURCE:
        rebuild_master(version)
    else:
        link_resource(resource_code, version)


# ---------------------------------------------------------------- search and profile

def parse_uscc(value: str) -> str:
    """The cleaned code, or a 400 with the reason in Chinese."""
    error = uscc_error(value)
    if error:
        raise ValidationError(error, code="invalid_uscc")
    return clean_uscc(value)


_BY_USCC: dict[tuple[str, ...], Prepared] = {}


def get_entity(uscc: str, related: tuple[str, ...] = ()) -> Entity:
    """The entity with this code (and its ``select_related`` relations); compiled once per ``related``:
    credit checks and entity API calls look entities up on every request."""
    code = parse_uscc(uscc)
    prepared = _BY_USCC.get(related)
    if prepared is None:
        prepared = _BY_USCC.setdefault(related, Prepared(
            lambda value: Entity.objects.select_related(*related).filter(uscc=value), "str"))
    entity = prepared.first(code)
    if entity is None:
        raise Http404(f"法人库中没有统一社会信用代码为 {code} 的市场主体")
    return entity


def search(query: str = "", status: str = "") -> QuerySet[Entity]:
    """The register's search (the list's filters) without a principal: the public portal's look-up."""
    return Entity.objects.filtered({"q": query, "status": status}).order_by("uscc")


def _scope(principal: Principal, resource):
    """What of this resource the viewer may see, per the exchange's grants (None: nothing beyond existence)."""
    from regshare.exchange.services import access_scope

    return access_scope(principal, resource)


@dataclass
class _Reads:
    """The shared resources one profile showed data of, for the audit record of the read."""

    reads: list[dict] = field(default_factory=list)

    def add(self, scope, rows: int, fields: set[str]) -> None:
        self.reads.append({"resource": scope.resource.code, "basis": scope.basis, "rows": rows,
                           "grants": [g.pk for g in scope.grants], "fields": sorted(fields)})


def _display(value: object) -> str:
    return "" if value is None else str(value)


def linked_records(principal: Principal, entity: Entity, limit: int = 50, reads: _Reads | None = None) -> list[dict]:
    """Every record of a shared resource that names the entity, grouped by department and resource.

    Each row shows what one of the viewer's grants allows for that row (``exchange.access.secure_row``):
    a row no grant reaches shows nothing; without a grant only the number of records shows.
    """
    from regshare.exchange.access import secure_row
    from regshare.lake import tables

    groups = []
    for resource, cols in linkable_resources():
        if not tables.exists(resource.code):
            continue
        keys = list(EntityLink.objects.filter(source=resource.code, entity=entity, status=LinkStatus.LINKED)
                    .values_list("record_key", flat=True))
        con = engine.open_session(tables={"t": tables.dataset(resource.code)})
        conditions, params = [], []
        if cols.uscc:
            conditions.append(f'upper(trim(CAST("{cols.uscc}" AS VARCHAR))) = ?')
            params.append(entity.uscc)
        if keys and cols.key:
            key_expr = " || '|' || ".join(f'coalesce(CAST("{k}" AS VARCHAR), \'\')' for k in cols.key)
            conditions.append(f"({key_expr}) IN (SELECT unnest(?))")
            params.append(keys)
        if not conditions:
            con.close()
            continue
        where = " OR ".join(conditions)
        total = con.sql(f"SELECT count(*) FROM t WHERE {where}", params=params).fetchall()[0][0]
        if not total:
            con.close()
            continue
        rows = con.sql(f"SELECT * FROM t WHERE {where} LIMIT {int(limit)}", params=params).to_arrow_table()
        con.close()
        scope = _scope(principal, resource)
        group = {"department": resource.provider.name, "resource_code": resource.code,
                 "resource_name": resource.name, "total": total, "columns": [], "rows": [], "granted": False}
        if scope is not None:
            names = [c for c in scope.fields if c in rows.column_names]
            shown = [secure_row(scope, row, cols.tags) for row in rows.to_pylist()]
            shown = [row for row in shown if row]
            group.update(granted=True, columns=[cols.labels.get(c, c) for c in names],
                         rows=[[_display(row.get(c)) for c in names] for row in shown])
            if shown and reads is not None:
                reads.add(scope, len(shown), {c for row in shown for c in row})
        groups.append(group)
    groups.sort(key=lambda g: (g["department"], g["resource_code"]))
    return groups


def registration_event(entity: Entity) -> list[dict]:
    if entity.established is None:
        return []
    return [{"date": entity.established, "kind": "registration", "kind_label": "设立登记",
             "title": f"{entity.name} 设立登记", "department": "区市场监管局", "detail": entity.status}]


ENTITY_PAGE = "entities.entity"
ENTITY_API = "entities.entity.api"
ENTITY_LIST = "entities.list"


def profile(principal: Principal, entity: Entity, channel: str = "entity_page", *, shared_records: bool = True) -> dict:
    """一企一档: identity, linked shared records and the timeline, for the page, the API and the report
    (which leaves out the shared records: ``shared_records=False`` does not read them). Higher apps add
    their events to the timeline through ``panels.register_data("entities.entity", …)`` and their sections
    of the page through ``panels.register("entities.entity", …)``.

    Like every read of shared data, the read is audited (``exchange.access.<channel>``), one record per
    resource whose data it showed, naming the entity."""
    reads = _Reads()
    masked = mask_identity(principal, entity, reads)
    records = linked_records(principal, entity, reads=reads) if shared_records else []
    contributed = panels.data_for(ENTITY_PAGE, principal, entity)
    timeline = sorted(registration_event(entity) + contributed.get("timeline", []),
                      key=lambda e: (e["date"], e["kind"]), reverse=True)
    for read in reads.reads:
        audit.record_deferred(principal, f"exchange.access.{channel}", f"resource:{read['resource']}",
                              {"entity": entity.uscc, "entity_name": entity.name, "channel": channel, **read})
    return {
        "entity": entity,
        "identity": masked,
        "records": records,
        "timeline": timeline,
        "candidates": list(EntityLink.objects.filter(entity=entity, status=LinkStatus.CANDIDATE)[:20]),
    }


def _master_row(entity: Entity) -> dict:
    """The entity's row of SCJG-0001 as the lake holds it (a grant's row filter may name any of its
    columns); the entity's own fields when the current version has no such row."""
    from regshare.lake import tables

    row = {column: getattr(entity, column) for column in MASTER_COLUMNS if column != "name"}
    row["name"] = entity.name
    if tables.exists(MASTER_RESOURCE):
        con = engine.open_session(tables={"t": tables.dataset(MASTER_RESOURCE)})
        try:
            found = con.sql("SELECT * FROM t WHERE CAST(uscc AS VARCHAR) = ? LIMIT 1",
                            params=[entity.uscc]).to_arrow_table().to_pylist()
        except con.Error:  # a master table without a uscc column: the entity's own fields stand for it
            found = []
        finally:
            con.close()
        if found:
            row = found[0]
    return row


def mask_identity(principal: Principal, entity: Entity, reads: _Reads | None = None) -> dict:
    """The entity's own registration fields as the viewer's grants on SCJG-0001 allow for its row.

    Personal fields (those whose tag calls for masking) are clear only where one grant allows both the
    field in clear and the entity's row, masked where a grant reaching the row shows them, and empty
    where none does. The other fields are the entity's public registration record (the same the
    entity list shows) and always shown."""
    from regshare.catalog.models import Resource
    from regshare.exchange.access import CLEAR, field_visibility
    from regshare.exchange.masking import mask_value

    resource = Resource.objects.filter(code=MASTER_RESOURCE).prefetch_related("fields").first()
    scope = _scope(principal, resource) if (resource is not None and principal.is_authenticated) else None
    tags = ({"legal_rep": "person_name", "legal_rep_id": "id_card", "phone": "mobile", "address": "address"}
            if resource is None else {f.code_name: f.tag for f in resource.fields.all()})
    visibility = field_visibility(scope, _master_row(entity)) if scope is not None else {}
    values = {"uscc": entity.uscc, "name": entity.name, "established": entity.established,
              "capital": entity.capital, "industry": entity.industry, "status": entity.status}
    shown = set()
    for column in ("legal_rep", "legal_rep_id", "phone", "address"):
        raw, seen = getattr(entity, column), visibility.get(column)
        if seen is None or not raw:
            values[column] = ""
            continue
        values[column] = raw if seen == CLEAR else mask_value(tags.get(column, ""), raw)
        shown.add(column)
    if shown and reads is not None:
        reads.add(scope, 1, shown)
    return values


def detail_panels(principal: Principal, entity: Entity) -> list[tuple[str, str]]:
    return panels.panels_for(ENTITY_PAGE, principal, entity)


def api_sections(principal: Principal, entity: Entity) -> dict:
    """What higher apps add to the profile API (credit: ``risk``, ``lists``, ``credit_records``)."""
    return panels.data_for(ENTITY_API, principal, entity)
