"""Search and the entity profile: linked records, masked identity, the page's sections."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from regshare.core import audit, panels
from regshare.core.codes import clean_uscc, uscc_error
from regshare.core.permissions import Principal
from regshare.core.prepared import Prepared
from regshare.lake import engine

from ..models import Entity, EntityLink, LinkStatus
from .master import MASTER_COLUMNS, MASTER_RESOURCE
from .resources import linkable_resources


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
