"""Reading shared data: the query API, bulk downloads, receipts and the access log.

Every read goes: access scope (grant / dedicated / unconditional) → DuckDB over the Delta snapshot
(or the per-version key index for key look-ups) → only visible fields → row filter of the grant →
``masking.mask_table`` → audit record (and, on request, a signed receipt).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import io
import json
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from cachetools import TTLCache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from regshare.catalog.models import Resource
from regshare.core import audit, exports
from regshare.core.lazy import lazy_module
from regshare.core.models import AuditRecord
from regshare.core.permissions import Principal, has_perm, require
from regshare.lake import engine, hooks
from regshare.lake import tables as lake

from . import receipts
from .masking import MASKED_TAGS, SMALL, mask_array, mask_rows, mask_table, mask_value
from .models import Receipt

pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

RESERVED = {"sort", "cursor", "limit", "as_of", "version", "receipt", "format", "fields", "page"}
OPERATORS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "IN",
             "contains": "CONTAINS"}
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
XLSX_MAX_ROWS = 1_048_575
BATCH_ROWS = 50_000


def _scope(principal: Principal, resource: Resource):
    from .services import access_scope

    require(principal, "exchange.access")
    scope = access_scope(principal, resource)
    if scope is None:
        raise PermissionDenied("您没有该资源的使用授权(需经共享申请获批、列入专用部门,或为无条件共享资源)")
    return scope


# ----------------------------------------------------------------------------- each grant on its own


CLEAR, MASKED = "clear", "masked"  # a field absent from a visibility answer is hidden


@dataclass(frozen=True)
class GrantTerms:
    """What one grant (or one other basis of access) lets its holder see: fields, clear fields, rows."""

    fields: frozenset[str]
    clear: frozenset[str]
    row_filter: dict  # {field: [allowed values]}; empty: every row

    def covers(self, row: dict) -> bool:
        return all(name in row and row[name] is not None and str(row[name]) in {str(v) for v in allowed}
                   for name, allowed in self.row_filter.items())

    def covered_rows(self, table: pa.Table) -> pa.Array:
        """One boolean per row: does this grant reach it (a filter on a column the table lacks reaches none)."""
        reach = pa.array([True] * table.num_rows, pa.bool_())
        for name, allowed in self.row_filter.items():
            if name not in table.column_names:
                return pa.array([False] * table.num_rows, pa.bool_())
            column = table.column(name).combine_chunks()
            hit = pc.is_in(pc.cast(column, pa.string()), pa.array([str(v) for v in allowed], pa.string()))
            reach = pc.and_(reach, pc.fill_null(hit, False))
        return reach


def grant_terms(scope) -> list[GrantTerms]:
    """The terms of every grant behind an access scope, one per grant; a scope with no grant behind it
    (provider, dedicated, unconditional) is one set of terms."""
    if scope is None:
        return []
    if scope.grants:
        return [GrantTerms(frozenset(g.fields), frozenset(g.clear_fields), dict(g.row_filter or {}))
                for g in scope.grants]
    return [GrantTerms(frozenset(scope.fields), frozenset(scope.clear), dict(scope.row_filter or {}))]


def field_visibility(scope, row: dict) -> dict[str, str]:
    """For one row of the scope's resource: each field the viewer may see → ``CLEAR`` or ``MASKED``.

    A value is clear only when ONE grant allows both the field in clear and the row; masked when some
    grant that reaches the row shows the field but none of those in clear; hidden (absent from the
    answer) when no grant that reaches the row shows the field. Grants are never merged first: a
    clear field of a grant limited to other rows, plus another grant reaching this row with the
    field masked, gives a masked value. ``MASKED`` means "through the masking function", which leaves
    a field whose tag calls for no masking (a code, an amount) as it is."""
    visibility: dict[str, str] = {}
    for terms in grant_terms(scope):
        if not terms.covers(row):
            continue
        for name in terms.fields:
            if name in terms.clear:
                visibility[name] = CLEAR
            else:
                visibility.setdefault(name, MASKED)
    return visibility


def secure_row(scope, row: dict, tags: dict[str, str]) -> dict:
    """The row as the viewer may see it (``field_visibility``): clear values, masked values, hidden
    fields left out. An empty answer means no grant reaches the row."""
    out = {}
    for name, seen in field_visibility(scope, row).items():
        if name not in row:
            continue
        value = row[name]
        tag = tags.get(name, "")
        # Untagged values keep their type, as in ``mask_table``.
        out[name] = value if seen == CLEAR or value is None or tag not in MASKED_TAGS else mask_value(tag, value)
    return out


def secure_table(table: pa.Table, scope, tags: dict[str, str], columns: list[str] | None = None) -> pa.Table:
    """``field_visibility`` over a whole table: drops the rows no grant reaches and gives each value
    as clear, masked or null (hidden) by the grants that reach its row, one grant at a time.

    ``columns`` (default: the table's) that no grant shows are left out."""
    terms = grant_terms(scope)
    if columns is None:
        columns = list(table.column_names)
    shown = set().union(*(t.fields for t in terms)) if terms else set()
    columns = [c for c in columns if c in shown and c in table.column_names]
    if len(terms) == 1 and not terms[0].row_filter:  # the usual case: one grant, every row
        return mask_table(table.select(columns), tags, terms[0].clear)
    table = table.select(sorted({*columns, *(n for t in terms for n in t.row_filter if n in table.column_names)},
                                key=table.column_names.index))
    reach = [t.covered_rows(table) for t in terms]
    anywhere = pa.array([False] * table.num_rows, pa.bool_())
    for r in reach:
        anywhere = pc.or_(anywhere, r)
    table = table.filter(anywhere)
    reach = [r.filter(anywhere) for r in reach]
    none = pa.array([False] * table.num_rows, pa.bool_())
    out = []
    for name in columns:
        column = table.column(name).combine_chunks()
        visible, clear = none, none
        for t, r in zip(terms, reach, strict=True):
            if name in t.fields:
                visible = pc.or_(visible, r)
                if name in t.clear:
                    clear = pc.or_(clear, r)
        tag = tags.get(name, "")
        if tag in MASKED_TAGS and not pc.all(clear).as_py():
            text = pc.cast(column, pa.string())
            column = pc.if_else(clear, text, mask_array(tag, text))
        out.append(pc.if_else(visible, column, pa.nulls(table.num_rows, column.type)))
    return pa.table(out, names=columns) if columns else pa.table({})


# ----------------------------------------------------------------------------- versions


VERSION_TTL = 2.0
_version_cache: TTLCache = TTLCache(maxsize=1024, ttl=VERSION_TTL)
_version_lock = threading.Lock()
_MISSING = object()


def _on_version(code: str, version: int, mode: str) -> None:
    with _version_lock:
        _version_cache[code] = version


hooks.on_version_written(_on_version)


def current_version(code: str) -> int | None:
    """The newest version, re-read from the lake at most every two seconds per process (a write in
    this process updates it at once through the lake hook)."""
    with _version_lock:
        cached = _version_cache.get(code, _MISSING)
    if cached is not _MISSING:
        return cached
    version = lake.current_version(code)
    with _version_lock:
        _version_cache[code] = version
    return version


def _parse_as_of(text: str) -> dt.datetime:
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time.max)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError("as_of 应为日期(YYYY-MM-DD)或 ISO 时间", code="bad_as_of") from exc
    if moment.tzinfo is None:
        moment = timezone.make_aware(moment)
    return moment


def resolve_version(code: str, *, version: str | int | None = None, as_of: str | None = None) -> int:
    """The version a read sees: explicit, as of a moment (the last version committed by then), or current."""
    if version not in (None, ""):
        try:
            wanted = int(version)
        except (TypeError, ValueError) as exc:
            raise ValidationError("version 应为整数", code="bad_version") from exc
        newest = current_version(code)
        if newest is None or not 0 <= wanted <= newest:
            raise ValidationError(f"资源 {code} 没有版本 {wanted}", code="bad_version")
        return wanted
    if as_of:
        moment = _parse_as_of(as_of)
        for entry in lake.history(code):
            if entry["timestamp"] is not None and entry["timestamp"] <= moment:
                return int(entry["version"])
        raise ValidationError(f"资源 {code} 在 {as_of} 时尚无数据", code="bad_as_of")
    newest = current_version(code)
    if newest is None:
        raise ValidationError(f"资源 {code} 尚无数据", code="no_data")
    return newest


# ----------------------------------------------------------------------------- key index


class _KeyIndex:
    """One version of a table held in memory with a dict from key value to row positions, so a key
    look-up costs a dictionary probe and a ``take`` instead of a scan of every row."""

    def __init__(self, table: pa.Table, key: str) -> None:
        # One chunk per column: ``take`` on a many-chunk table would concatenate on every look-up.
        self.table = table.combine_chunks()
        values = table.column(key).to_pylist()
        self.positions: dict = {}
        duplicates: dict = {}
        for position, value in enumerate(values):
            if value in self.positions:
                duplicates.setdefault(value, [self.positions[value]]).append(position)
            else:
                self.positions[value] = position
        self.duplicates = duplicates

    def lookup(self, value) -> list[int]:
        if value in self.duplicates:
            return self.duplicates[value]
        position = self.positions.get(value)
        return [] if position is None else [position]

    def rows(self, value) -> pa.Table:
        positions = self.lookup(value)
        if len(positions) == 1:  # the usual case: a zero-copy slice costs far less than a take
            return self.table.slice(positions[0], 1)
        return self.table.take(pa.array(positions, type=pa.int64()))


_indexes: OrderedDict[tuple[str, int, str], _KeyIndex] = OrderedDict()
_index_lock = threading.Lock()
MAX_INDEXES = 4


def key_index(code: str, version: int, key: str) -> _KeyIndex:
    name = (code, version, key)
    with _index_lock:
        found = _indexes.get(name)
        if found is not None:
            _indexes.move_to_end(name)
            return found
        index = _KeyIndex(lake.read(code, version=version), key)
        _indexes[name] = index
        for old in [k for k in _indexes if k[0] == code and k != name]:
            del _indexes[old]
        while len(_indexes) > MAX_INDEXES:
            _indexes.popitem(last=False)
        return index


def key_fields(resource: Resource) -> list[str]:
    from .services.scope import _cached

    return _cached(("keys", resource.pk), lambda: list(
        resource.fields.filter(is_key=True).order_by("position", "id").values_list("code_name", flat=True)))


# ----------------------------------------------------------------------------- filters


@dataclass
class Condition:
    field: str
    op: str
    value: str


def unusable_fields(scope) -> dict[str, str]:
    """Fields the viewer sees but may not filter, sort or page by, each with its error code.

    A filter, a sort, a key look-up or the order behind a cursor answers by the true value, so on a
    masked field it gives away what the masking hides (``legal_rep_id__gte`` halving the range recovers
    an ID card in a few dozen requests). A field is usable only when every grant behind the scope shows
    it, and in clear wherever its tag calls for masking."""
    terms = grant_terms(scope)
    unusable = {}
    for name in scope.fields:
        if any(name not in t.fields for t in terms):
            unusable[name] = "field_not_granted"
        elif scope.tags.get(name, "") in MASKED_TAGS and any(name not in t.clear for t in terms):
            unusable[name] = "field_masked"
    return unusable


def field_labels(resource: Resource) -> dict[str, str]:
    from .services.scope import _cached

    return _cached(("labels", resource.pk), lambda: dict(resource.fields.values_list("code_name", "name")))


def _refuse(name: str, code: str, labels: dict[str, str], use: str) -> ValidationError:
    label = labels.get(name) or name
    if code == "field_masked":
        return ValidationError(f"数据项「{label}」在您的授权中为脱敏显示,不能用于{use}", code=code)
    return ValidationError(f"数据项「{label}」并非在您的每一项授权中都可见,不能用于{use}", code=code)


def parse_conditions(params: dict, visible: tuple[str, ...], unusable: dict[str, str] | None = None,
                     labels: dict[str, str] | None = None) -> list[Condition]:
    conditions = []
    for name, raw in params.items():
        if name in RESERVED:
            continue
        field, _, op = name.partition("__")
        op = op or "eq"
        if op not in OPERATORS:
            raise ValidationError(f"不支持的筛选方式: {op}", code="bad_filter")
        if field not in visible:
            raise ValidationError(f"数据项 {field} 不存在或未获授权,不能用于筛选", code="field_not_granted")
        if unusable and field in unusable:
            raise _refuse(field, unusable[field], labels or {}, "筛选或查询")
        conditions.append(Condition(field, op, str(raw)))
    return conditions


def _row_clause(row_filter: dict, args: list) -> str:
    d = engine.dialect()
    parts = []
    for name, allowed in sorted(row_filter.items()):
        parts.append(d.in_placeholders(d.text(d.quote(name)), len(allowed)))
        args.extend(str(v) for v in allowed)
    return " AND ".join(parts)


def _where(conditions: list[Condition], row_filters: list[dict]) -> tuple[str, list]:
    """``row_filters``: the row filters of the viewer's grants, any of which lets a row through."""
    clauses, args = [], []
    if row_filters and all(row_filters):
        alternatives = [_row_clause(f, args) for f in row_filters]
        clauses.append(alternatives[0] if len(alternatives) == 1 else
                       "(" + " OR ".join(f"({a})" for a in alternatives) + ")")
    d = engine.dialect()
    for c in conditions:
        column = d.quote(c.field)
        if c.op == "in":
            values = [v for v in c.value.split(",") if v != ""]
            if not values:
                raise ValidationError(f"{c.field}__in 至少需要一个值", code="bad_filter")
            clauses.append(d.in_placeholders(d.text(column), len(values)))
            args.extend(values)
        elif c.op == "contains":
            clauses.append(d.contains(d.text(column), "?"))
            args.append(c.value)
        elif c.op in ("eq", "ne"):
            clauses.append(f"{d.text(column)} {OPERATORS[c.op]} ?")
            args.append(c.value)
        else:
            clauses.append(f"{column} {OPERATORS[c.op]} ?")
            args.append(c.value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def parse_sort(text: str, visible: tuple[str, ...], unusable: dict[str, str] | None = None,
               labels: dict[str, str] | None = None) -> list[tuple[str, bool]]:
    order = []
    for part in [p.strip() for p in (text or "").split(",") if p.strip()]:
        descending = part.startswith("-")
        name = part.lstrip("-+")
        if name not in visible:
            raise ValidationError(f"数据项 {name} 不存在或未获授权,不能用于排序", code="field_not_granted")
        if unusable and name in unusable:
            raise _refuse(name, unusable[name], labels or {}, "排序")
        order.append((name, descending))
    return order


def _order_salt() -> str:
    from django.conf import settings

    return hashlib.sha256(f"regshare-page-order:{settings.SECRET_KEY}".encode()).hexdigest()[:32]


def _order_by(sort: list[tuple[str, bool]], tiebreak: list[str], hidden: frozenset[str] | set[str] = frozenset()) -> str:
    """``hidden``: tiebreak fields the viewer may not order by; pages follow a keyed digest of their
    value instead, a stable order (cursors keep working) that says nothing about the values."""
    d = engine.dialect()
    parts = [f'{d.quote(n)} {"DESC" if desc else "ASC"} NULLS LAST' for n, desc in sort]
    salt = _order_salt() if hidden else ""
    parts += [(d.md5(f"{d.text(d.quote(n))} || {d.literal(salt)}") if n in hidden else d.quote(n)) + " ASC NULLS LAST"
              for n in tiebreak if n not in {s[0] for s in sort}]
    return " ORDER BY " + ", ".join(parts) if parts else ""


# Offsets beyond this cannot be a page of any table, and DuckDB's OFFSET takes a signed 64-bit integer.
MAX_CURSOR_OFFSET = 2**62


def _encode_cursor(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> dict:
    try:
        payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(payload, dict) or not isinstance(payload.get("v"), int) or not isinstance(payload.get("o"), int):
            raise ValueError
        return payload
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError("游标无效", code="bad_cursor") from exc


def _query_fingerprint(conditions: list[Condition], sort: list, fields: list[str]) -> str:
    text = json.dumps([[c.field, c.op, c.value] for c in conditions] + [sort, fields], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _connect(code: str, version: int) -> engine.Session:
    return engine.open_session(tables={"t": engine.LakeTable(code, version=version)})


def _bad_value(exc: Exception) -> ValidationError:
    return ValidationError(f"筛选值与数据项类型不符: {exc}".splitlines()[0][:200], code="bad_filter_value")


def _fetch_table(code: str, version: int, sql: str, args: list) -> pa.Table:
    with _connect(code, version) as s:
        try:
            return s.table(sql, args)
        except s.bad_value_errors as exc:
            raise _bad_value(exc) from exc


# ----------------------------------------------------------------------------- receipts and audit


def _receipt_body(principal: Principal, scope, version: int | None, query: dict, rows: int, digest: str, channel: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "issued_at": timezone.now().isoformat(),
        "issuer": "regshare",
        "principal": str(principal),
        "department": principal.department.code if principal.department else "",
        "grant": scope.grant.pk if scope.grant else None,
        "basis": scope.basis,
        "resource": scope.resource.code,
        "resource_version": version,
        "channel": channel,
        "query": query,
        "rows": rows,
        "sha256": digest,
    }


def _record_access(principal: Principal, scope, version: int | None, query: dict, rows: int, digest: str, channel: str,
                   want_receipt: bool, receipt_id: str | None = None) -> dict | None:
    """Audit one read; with ``want_receipt`` also sign and keep its receipt. The audit detail names the
    receipt (``receipt_id`` for a download, whose receipt is signed after the stream), so the consumer's
    usage page can show which receipt covers which read."""
    detail = {"grant": scope.grant.pk if scope.grant else None, "basis": scope.basis, "version": version,
              "query": query, "rows": rows, "sha256": digest, "channel": channel}
    if receipt_id:
        detail["receipt"] = receipt_id
    if not want_receipt:
        audit.record_deferred(principal, f"exchange.access.{channel}", f"resource:{scope.resource.code}", detail)
        return None
    body = _receipt_body(principal, scope, version, query, rows, digest, channel)
    detail["receipt"] = body["id"]
    with transaction.atomic():
        audit.record(principal, f"exchange.access.{channel}", f"resource:{scope.resource.code}", detail)
        signed = receipts.sign(body)
        Receipt.objects.create(id=signed["receipt"]["id"], resource=scope.resource, grant=scope.grant,
                               department=principal.department, document=signed)
    return signed


def get_receipt(principal: Principal, receipt_id: str) -> dict:
    require(principal, "exchange.receipt")
    found = Receipt.objects.filter(pk=receipt_id).first()
    if found is None or principal.department is None or (
            found.department_id != principal.department.pk and found.resource.provider_id != principal.department.pk):
        # Not found and not yours look the same, so receipt numbers cannot be probed.
        raise Http404("凭证不存在或不属于本部门")
    return found.document


def rows_digest(rows: list[dict]) -> str:
    return receipts.sha256_hex(json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str).encode())


# ----------------------------------------------------------------------------- query API


@dataclass
class QueryResult:
    resource: str
    version: int
    fields: list[str]
    rows: list[dict]
    next_cursor: str | None
    receipt: dict | None = None


def _jsonable(table: pa.Table) -> list[dict]:
    rows = table.to_pylist()
    for row in rows:
        for name, value in row.items():
            if isinstance(value, dt.date | dt.datetime):
                row[name] = value.isoformat()
            elif value is not None and not isinstance(value, str | int | float | bool):
                row[name] = str(value)
    return rows


def query_rows(principal: Principal, resource: Resource, params: dict, *, want_receipt: bool = False,
               offset: int = 0) -> QueryResult:
    """GET /resources/{code}/rows: filter on any visible field, sort, cursor pages, as_of / version.

    ``offset`` starts a query without a cursor further down (the data page's numbered pages)."""
    scope = _scope(principal, resource)
    terms = grant_terms(scope)
    page = _select_page(resource, params, scope.fields, [t.row_filter for t in terms], unusable_fields(scope),
                        field_labels(resource), offset=offset)
    # A page of a few rows is masked as Python values (Arrow's per-call cost would dominate); a long
    # page in columns. Both apply the same rules (masking.mask_text / mask_array).
    if len(terms) > 1:
        rows = _jsonable(secure_table(page.table, scope, scope.tags, page.fields))
    elif page.table.num_rows <= SMALL:
        rows = mask_rows(_jsonable(page.table), scope.tags, scope.clear)
    else:
        rows = _jsonable(mask_table(page.table, scope.tags, scope.clear))
    signed = _record_access(principal, scope, page.version, page.query, len(rows), rows_digest(rows), "query",
                            want_receipt)
    return QueryResult(resource.code, page.version, page.fields, rows, page.next_cursor, signed)


@dataclass(frozen=True)
class Columns:
    """The columns a viewer sees of a resource, for a page: codes in catalog order, their Chinese names,
    and the ones a filter or a sort may use (never a masked one, see ``unusable_fields``)."""

    fields: list[str]
    labels: dict[str, str]
    usable: list[str]


def columns_for(principal: Principal, resource: Resource) -> Columns:
    scope = _scope(principal, resource)
    unusable = unusable_fields(scope)
    order = _field_names(resource)
    fields = sorted(scope.fields, key=lambda n: order.index(n) if n in order else len(order))
    return Columns(fields, field_labels(resource), [f for f in fields if f not in unusable])


def query_rows_unsecured(resource: Resource, params: dict) -> QueryResult:
    """The same query with no caller, grant, masking or audit: the access benchmark's baseline only."""
    page = _select_page(resource, params, tuple(_field_names(resource)), [{}], {}, {})
    return QueryResult(resource.code, page.version, page.fields, _jsonable(page.table), page.next_cursor)


def _field_names(resource: Resource) -> list[str]:
    from .services.scope import _cached

    return _cached(("fields", resource.pk), lambda: list(
        resource.fields.order_by("position", "id").values_list("code_name", flat=True)))


@dataclass
class _Page:
    version: int
    fields: list[str]
    table: pa.Table
    next_cursor: str | None
    query: dict


def _select_page(resource: Resource, params: dict, visible: tuple[str, ...], row_filters: list[dict],
                 unusable: dict[str, str], labels: dict[str, str], *, offset: int = 0) -> _Page:
    """One page of rows of the visible fields that any of ``row_filters`` lets through. With more than one
    row filter (several grants), the page also carries the filters' columns, for ``secure_table``."""
    fields = list(visible)
    if params.get("fields"):
        fields = [f for f in params["fields"].split(",") if f]
        hidden = [f for f in fields if f not in visible]
        if hidden:
            raise ValidationError(f"数据项未获授权: {', '.join(hidden)}", code="field_not_granted")
    try:
        limit = int(params.get("limit") or DEFAULT_LIMIT)
    except ValueError as exc:
        raise ValidationError("limit 应为整数", code="bad_limit") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit 须在 1 到 {MAX_LIMIT} 之间", code="bad_limit")
    conditions = parse_conditions(params, visible, unusable, labels)
    sort = parse_sort(params.get("sort", ""), visible, unusable, labels)
    fingerprint = _query_fingerprint(conditions, sort, fields)
    if not 0 <= offset <= MAX_CURSOR_OFFSET:
        raise ValidationError("页码无效", code="bad_page")
    if params.get("cursor"):
        cursor = _decode_cursor(params["cursor"])
        if cursor.get("q") != fingerprint:
            raise ValidationError("游标与本次查询条件不符", code="bad_cursor")
        offset = cursor["o"]
        if not 0 <= offset <= MAX_CURSOR_OFFSET:
            raise ValidationError("游标无效", code="bad_cursor")
    try:
        if params.get("cursor"):
            # A cursor is the caller's text: the version it names must exist like one asked for with ?version=.
            version = resolve_version(resource.code, version=cursor["v"])
        else:
            version = resolve_version(resource.code, version=params.get("version"), as_of=params.get("as_of"))
    except lake.LakeError as exc:
        raise ValidationError(str(exc), code="no_data") from exc
    keys = key_fields(resource)
    query = {k: v for k, v in params.items() if k not in ("receipt", "cursor")}
    query["offset"] = offset
    fetched = list(fields)
    if len(row_filters) > 1:
        fetched += sorted({n for f in row_filters for n in f if n not in fields})
    table = _key_lookup(resource.code, version, keys, conditions, row_filters)
    if table is not None:
        table = table.select(fetched).slice(offset, limit + 1)
    else:
        where, args = _where(conditions, row_filters)
        tiebreak = keys or list(visible)
        select = ", ".join(f'"{f}"' for f in fetched)
        order = _order_by(sort, tiebreak, {n for n in tiebreak if n in unusable})
        sql = f"SELECT {select} FROM t{where}{order} LIMIT {limit + 1} OFFSET {offset}"
        table = _fetch_table(resource.code, version, sql, args)
    has_more = table.num_rows > limit
    next_cursor = _encode_cursor({"v": version, "o": offset + limit, "q": fingerprint}) if has_more else None
    return _Page(version, fields, table.slice(0, limit), next_cursor, query)


def _key_lookup(code: str, version: int, keys: list[str], conditions: list[Condition],
                row_filters: list[dict]) -> pa.Table | None:
    """Equality on the resource's single key field is answered from the per-version key index (a key the
    viewer sees masked never gets here: ``parse_conditions`` refuses it)."""
    if len(keys) != 1 or len(conditions) != 1:
        return None
    condition = conditions[0]
    if condition.field != keys[0] or condition.op != "eq":
        return None
    table = key_index(code, version, keys[0]).rows(condition.value)
    if row_filters and all(row_filters):
        reach = [GrantTerms(frozenset(), frozenset(), f).covered_rows(table) for f in row_filters]
        table = table.filter(functools.reduce(pc.or_, reach))
    return table


# ----------------------------------------------------------------------------- downloads


class _Sink(io.RawIOBase):
    """A write-only file that hands out what was written since the last ``drain``."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Download:
    chunks: Iterator[bytes]
    content_type: str
    filename: str
    receipt_id: str | None


def download(principal: Principal, resource: Resource, fmt: str, params: dict, *,
             want_receipt: bool = False, headers: str = "code") -> Download:
    """Bulk download, streamed batch by batch: DuckDB record batches → mask → CSV/XLSX/Parquet bytes.

    ``headers="name"`` heads the columns with the catalog's Chinese field names (the pages' downloads);
    ``"code"`` keeps the field codes programs read. The audit record (and receipt) is written when the
    stream ends, with the row count and the SHA-256 of exactly the bytes sent.
    """
    if headers not in ("code", "name"):
        raise ValidationError("表头须为 code(数据项代码)或 name(中文名称)", code="bad_headers")
    fmt = (fmt or "csv").lower()
    if fmt not in CONTENT_TYPES:
        raise ValidationError("下载格式须为 csv、xlsx 或 parquet", code="bad_format")
    scope = _scope(principal, resource)
    terms = grant_terms(scope)
    unusable, labels = unusable_fields(scope), field_labels(resource)
    conditions = parse_conditions(params, scope.fields, unusable, labels)
    sort = parse_sort(params.get("sort", ""), scope.fields, unusable, labels)
    try:
        version = resolve_version(resource.code, version=params.get("version"), as_of=params.get("as_of"))
    except lake.LakeError as exc:
        raise ValidationError(str(exc), code="no_data") from exc
    row_filters = [t.row_filter for t in terms]
    where, args = _where(conditions, row_filters)
    fetched = list(scope.fields)
    if len(terms) > 1:
        fetched += sorted({n for f in row_filters for n in f if n not in scope.fields})
    select = ", ".join(f'"{f}"' for f in fetched)
    sql = f"SELECT {select} FROM t{where}{_order_by(sort, [])}"
    # Counting first finds filter values of the wrong type before the response has started.
    count = _fetch_table(resource.code, version, f"SELECT count(*) AS n FROM ({sql})", args).column(0)[0].as_py()
    if fmt == "xlsx" and count > XLSX_MAX_ROWS:
        raise ValidationError(f"共 {count} 行,超过 Excel 单表上限,请改用 CSV 或 Parquet", code="too_many_rows")
    con = _connect(resource.code, version)
    receipt_id = str(uuid.uuid4()) if want_receipt else None
    query = {k: v for k, v in params.items() if k != "receipt"}
    query["format"] = fmt
    reader = con.reader(sql, args, BATCH_ROWS)
    writer = {"csv": _csv_chunks, "parquet": _parquet_chunks, "xlsx": _xlsx_chunks}[fmt]
    if len(terms) > 1:
        batches = (secure_table(pa.Table.from_batches([b], reader.schema), scope, scope.tags, list(scope.fields))
                   for b in reader)
    else:
        batches = (mask_table(pa.Table.from_batches([b]), scope.tags, scope.clear) for b in reader)
    schema = reader.schema
    if headers == "name":
        batches, schema = _named_columns(batches, schema, labels)

    def stream() -> Iterator[bytes]:
        digest, rows, complete = hashlib.sha256(), {"n": 0}, False
        try:
            for chunk in writer(batches, schema, rows):
                digest.update(chunk)
                yield chunk
            complete = True
        finally:
            con.close()
            query["complete"] = complete
            signed = _record_access(principal, scope, version, query, rows["n"], digest.hexdigest(),
                                    "download", False, receipt_id if complete else None)
            if receipt_id is not None and complete:
                body = _receipt_body(principal, scope, version, query, rows["n"], digest.hexdigest(), "download")
                body["id"] = receipt_id
                signed = receipts.sign(body)
                Receipt.objects.create(id=receipt_id, resource=scope.resource, grant=scope.grant,
                                       department=principal.department, document=signed)

    filename = f"{resource.code}-v{version}.{fmt}"
    return Download(stream(), CONTENT_TYPES[fmt], filename, receipt_id)


def header_names(names: list[str], labels: dict[str, str]) -> list[str]:
    """Chinese column headers: the catalog's field name, or the code where a field has none; two fields of
    one name keep their codes after it, so no header repeats."""
    named = [labels.get(n) or n for n in names]
    return [f"{label}({name})" if named.count(label) > 1 else label for label, name in zip(named, names, strict=True)]


def _named_columns(batches: Iterator[pa.Table], schema: pa.Schema, labels: dict[str, str]):
    """The batches and the schema with the columns renamed to their Chinese headers."""
    names = header_names(list(schema.names), labels)
    renamed = pa.schema([schema.field(i).with_name(n) for i, n in enumerate(names)])

    def rename(tables):
        for table in tables:
            yield table.rename_columns(header_names(list(table.column_names), labels))

    return rename(batches), renamed


def _masked_schema(schema: pa.Schema, tags: dict, clear) -> pa.Schema:
    return mask_table(schema.empty_table(), tags, clear).schema


def _csv_chunks(batches, schema, rows) -> Iterator[bytes]:
    import pyarrow.csv as pacsv

    sink = _Sink()
    writer = None
    yield "\ufeff".encode()  # so Excel opens the UTF-8 file with Chinese headers correctly
    for table in batches:
        if writer is None:
            writer = pacsv.CSVWriter(sink, table.schema)
        writer.write_table(exports.csv_table(table))
        rows["n"] += table.num_rows
        yield sink.drain()
    if writer is None:
        writer = pacsv.CSVWriter(sink, schema)
    writer.close()
    tail = sink.drain()
    if tail:
        yield tail


def _parquet_chunks(batches, schema, rows) -> Iterator[bytes]:
    import pyarrow.parquet as pq

    sink = _Sink()
    writer = None
    for table in batches:
        if writer is None:
            writer = pq.ParquetWriter(sink, table.schema)
        writer.write_table(table)
        rows["n"] += table.num_rows
        yield sink.drain()
    if writer is None:
        writer = pq.ParquetWriter(sink, schema)
    writer.close()
    yield sink.drain()


def _xlsx_chunks(batches, schema, rows) -> Iterator[bytes]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    header_written = False
    for table in batches:
        if not header_written:
            sheet.append(table.column_names)
            header_written = True
        for row in table.to_pylist():
            sheet.append(exports.xlsx_row(sheet, (v if v is None or isinstance(v, str | int | float | dt.date)
                                                  else str(v) for v in row.values())))
        rows["n"] += table.num_rows
    if not header_written:
        sheet.append(schema.names)
    # openpyxl assembles the zip at save time; a temporary file keeps memory flat.
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(1 << 20):
            yield chunk


# ----------------------------------------------------------------------------- access log


def access_log(principal: Principal, resource: Resource) -> QuerySet[AuditRecord]:
    """Every read of a resource, for its provider (and the data bureau / auditors)."""
    from regshare.core.permissions import is_data_bureau

    require(principal, "exchange.access_log")
    own = principal.department is not None and principal.department.pk == resource.provider_id
    if not (own or is_data_bureau(principal) or has_perm(principal, "audit.view")):
        raise PermissionDenied("只有提供部门可以查看本资源的调用记录")
    return AuditRecord.objects.filter(target=f"resource:{resource.code}", action__startswith="exchange.access")


def department_usage(principal: Principal, params: dict) -> QuerySet[AuditRecord]:
    """本部门用数记录: every read by the viewer's department — its people and its system tokens — newest
    first; ``q`` narrows to a resource code, ``channel`` to a channel (query, download, proxy…)."""
    from django.db.models import Q

    from regshare.core.models import User

    require(principal, "exchange.access")
    if principal.department is None:
        return AuditRecord.objects.none()
    people = [audit.actor_name(u) for u in User.objects.filter(department=principal.department)]
    reads = AuditRecord.objects.filter(action__startswith="exchange.access.").filter(
        Q(actor__in=people) | Q(actor__endswith=f"@{principal.department.code}"))
    q = str(params.get("q", "")).replace("\x00", "").strip()
    if q:
        reads = reads.filter(target__icontains=q)
    channel = str(params.get("channel", "")).replace("\x00", "").strip()
    if channel:
        reads = reads.filter(action=f"exchange.access.{channel}")
    return reads.order_by("-seq")
