"""List resources become credit lists (名单资源转换).

Every new lake version of ``SCJG-0003`` 经营异常名录 and ``SCJG-0004`` 严重违法失信名单 is converted into
``ListEntry`` rows, upserted by the decision number (列入决定书文号), so the credit check, the entity page and
the periodic list rules see what the departments publish. A row is linked to its entity exactly by the
unified social credit code; where the code is missing, malformed or unknown, the entities app's linkage
(``entities.services.link_resource``: name, legal representative, address) links it. Rows that cannot be
linked are counted and reported to the provider and the data bureau; a candidate confirmed later in the
review queue becomes an entry then (``on_link_decided``).

Entries are never deleted: a list is a legal record, so a decision number missing from a later full
replace is left as it was, and a row without a 移出日期 does not undo a removal already recorded.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from regshare.catalog.models import Resource
from regshare.core import audit, prepared
from regshare.core import services as core
from regshare.core.codes import clean_uscc, is_valid_uscc
from regshare.core.lazy import lazy_module
from regshare.core.models import Department, Notification
from regshare.entities import services as entities
from regshare.entities.models import Entity, EntityLink, LinkStatus
from regshare.lake import tables
from regshare.lake.tables import LakeError

from .models import ListCause, ListEntry, ListType

pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

log = logging.getLogger(__name__)

LIST_RESOURCES: dict[str, str] = {"SCJG-0003": ListType.ABNORMAL, "SCJG-0004": ListType.SERIOUS}
KEY_COLUMN = "decision_no"
LIST_CONSUMER = "credit.lists"  # entities.AppliedVersion: the version of each list resource converted last
REPORTED_ROWS = 50  # rows listed by name in a run's result and notification; the counts are complete
NOTIFICATION_KIND = "credit.list_conversion"

# The four grounds of 《企业经营异常名录管理暂行办法》第四条, as the SCJG-0003 enumeration spells them.
ABNORMAL_REASONS: dict[str, str] = {
    "未按规定公示年度报告": ListCause.ANNUAL_REPORT,
    "未在责令期限内公示有关企业信息": ListCause.NO_DISCLOSURE,
    "公示企业信息隐瞒真实情况弄虚作假": ListCause.FALSE_INFO,
    "通过登记的住所或者经营场所无法联系": ListCause.UNREACHABLE,
}
# Other wordings of the same grounds (older exports, hand-typed sheets); checked in this order because
# "公示企业信息隐瞒真实情况" also mentions 企业信息.
ABNORMAL_KEYWORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("年度报告", "年报"), ListCause.ANNUAL_REPORT),
    (("无法联系", "联系不上"), ListCause.UNREACHABLE),
    (("隐瞒", "弄虚作假", "虚假"), ListCause.FALSE_INFO),
    (("责令", "有关企业信息", "即时信息"), ListCause.NO_DISCLOSURE),
)
_PUNCTUATION = re.compile(r"[\s、,,。.;;::()()\[\]【】“”\"'‘’《》<>!!??-]")
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


@dataclass
class ConversionResult:
    """What one conversion run did; the counts are also the audit record's detail."""

    resource: str
    version: int | None
    rows: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0          # of the updated: entries that received their 移出日期 in this run
    unchanged: int = 0
    unlinked: int = 0         # rows with no entity: not converted, reported
    awaiting_review: int = 0  # of the unlinked: a candidate waits in the linkage review queue
    invalid: int = 0          # rows whose own data is wrong (no decision number, bad dates): reported
    conflicts: int = 0        # decision number already used by an entry of another list: reported
    unrecognised_reasons: int = 0  # abnormal-list reasons matched to the closest ground only
    skipped: str = ""
    unlinked_rows: list[dict] = field(default_factory=list)
    invalid_rows: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def counts(self) -> dict:
        return {k: v for k, v in self.as_dict().items() if isinstance(v, int) and k != "version"}


# ---------------------------------------------------------------- rules of one row

def _normal(text: str) -> str:
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text))


_ABNORMAL_BY_NORMAL = {_normal(text): cause for text, cause in ABNORMAL_REASONS.items()} | {
    _normal(ListCause(cause).label): cause for cause in ABNORMAL_REASONS.values()}


def list_cause(list_type: str, reason: str) -> tuple[str, bool]:
    """The ``ListCause`` of a row's reason text and whether the text was recognised.

    Abnormal list: the four statutory grounds, in the resource's wording or a close one; text that names
    none of them gets the most similar ground (it is still a listing) and is counted as unrecognised.
    Serious list: the reason is free text; a listing because of three years on the abnormal list has its
    own cause, everything else is 严重违法行为. The original text is kept in ``cause_text`` either way.
    """
    normal = _normal(reason)
    if list_type == ListType.ABNORMAL:
        if normal in _ABNORMAL_BY_NORMAL:
            return _ABNORMAL_BY_NORMAL[normal], True
        for words, cause in ABNORMAL_KEYWORDS:
            if any(word in normal for word in words):
                return cause, True
        best = max(_ABNORMAL_BY_NORMAL.items(),
                   key=lambda item: difflib.SequenceMatcher(None, normal, item[0]).ratio())
        return best[1], False
    if "经营异常名录" in normal and re.search(r"[3三]年", normal):
        return ListCause.ABNORMAL_3Y, True
    return ListCause.SERIOUS_VIOLATION, True


def parse_date(value: object) -> dt.date | None:
    """A date from the lake (date, timestamp or text such as 2026-05-10, 2026/5/10, 2026年5月10日)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE.match(str(value))
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def department_resolver(resource: Resource) -> Callable[[str], Department]:
    """The entry's department: the deciding authority when its name is exactly one known department's
    name or short name, otherwise the resource's provider (which answers for the data)."""
    names: dict[str, list[Department]] = {}
    for department in Department.objects.filter(active=True):
        for name in {department.name, department.short_name} - {""}:
            names.setdefault(name, []).append(department)
    known = {name: found[0] for name, found in names.items() if len(found) == 1}

    def resolve(authority: str) -> Department:
        return known.get(authority, resource.provider)

    return resolve


# ---------------------------------------------------------------- conversion

def is_list_resource(resource_code: str) -> bool:
    return resource_code in LIST_RESOURCES


def _resource(resource_code: str) -> tuple[Resource, str, entities.ResourceColumns]:
    list_type = LIST_RESOURCES.get(resource_code)
    if list_type is None:
        raise ValidationError(f"资源 {resource_code} 不是名单资源,可转换的资源:{'、'.join(LIST_RESOURCES)}",
                              code="not_a_list_resource")
    resource = (Resource.objects.filter(code=resource_code).select_related("provider")
                .prefetch_related("fields").first())
    if resource is None:
        raise ValidationError(f"数据目录中没有资源 {resource_code}", code="unknown_resource")
    cols = entities.resource_columns(resource)
    if cols is None or cols.key != [KEY_COLUMN]:
        raise ValidationError(f"资源 {resource_code} 须以列入决定书文号({KEY_COLUMN})为主键,并含统一社会信用代码"
                              "或企业名称字段,才能转换为名单", code="list_resource_schema")
    return resource, list_type, cols


def _column(table: pa.Table, name: str | None) -> list:
    if name and name in table.column_names:
        return table.column(name).to_pylist()
    return [None] * table.num_rows


def _record_keys(table: pa.Table) -> list[str]:
    # The same key the entities app gives a row of a resource keyed by one column, so its links apply.
    if KEY_COLUMN not in table.column_names:
        return [""] * table.num_rows
    return pc.cast(table.column(KEY_COLUMN), pa.string()).fill_null("").to_pylist()


def _links(resource_code: str, version: int, keys: list[str], codes: list[str]) -> tuple[dict[str, int], set[str]]:
    """Entity id per record key, and the keys whose candidate waits for review.

    A valid code in the master links exactly. Only when some rows have no such code is the entities
    app's linkage run on the version (it links those rows by name, legal representative and address and
    keeps their outcome as ``EntityLink`` rows, the review queue included); a reviewer's decision stands.
    """
    known = dict(Entity.objects.filter(uscc__in={c for c in codes if c}).values_list("uscc", "id"))
    links = {key: known[code] for key, code in zip(keys, codes, strict=True) if code in known}
    if all(key in links for key in keys if key):
        return links, set()
    outcome = _link_resource(resource_code, version)
    links.update(outcome.probabilistic)
    links.update(outcome.exact)
    # Rows linked by an earlier run (the linkage runs on changed rows only) or by a reviewer.
    decided = EntityLink.objects.filter(source=resource_code, status=LinkStatus.LINKED, entity__isnull=False)
    for key, entity_id in decided.values_list("record_key", "entity_id"):
        links.setdefault(key, entity_id)
    waiting = set(EntityLink.objects.filter(source=resource_code, status=LinkStatus.CANDIDATE)
                  .values_list("record_key", flat=True))
    return links, waiting


def _link_resource(resource_code: str, version: int) -> entities.LinkOutcome:
    for attempt in range(2):
        try:
            return entities.link_resource(resource_code, version) or entities.LinkOutcome()
        except IntegrityError:
            # The entities app links every new version from its own hook too; two workers replacing the
            # same automatic links at once collide on the unique constraint, and a second try sees the
            # other's committed rows and replaces them.
            if attempt:
                raise
    return entities.LinkOutcome()


def _wanted_rows(table: pa.Table, cols: entities.ResourceColumns, list_type: str, resource: Resource,
                 links: dict[str, int], waiting: set[str], result: ConversionResult) -> dict[str, dict]:
    """The entry each valid, linked row asks for, by decision number; the others are counted."""
    resolve = department_resolver(resource)
    keys = _record_keys(table)
    columns = {name: _column(table, name) for name in ("reason", "decision_date", "authority", "removed_on",
                                                       "removal_reason")}
    codes, names = _column(table, cols.uscc), _column(table, cols.name)
    removal_default = f"{resource.name}({resource.code})记载移出,未注明原因"
    wanted: dict[str, dict] = {}
    for i, key in enumerate(keys):
        decision_no = key.strip()
        reason = _text(columns["reason"][i])
        listed_on = parse_date(columns["decision_date"][i])
        raw_removed = columns["removed_on"][i]
        removed_on = parse_date(raw_removed)
        problem = ""
        if not decision_no:
            problem = "列入决定书文号为空"
        elif len(decision_no) > ListEntry._meta.get_field("decision_no").max_length:
            problem = "列入决定书文号超过80个字符"
        elif decision_no in wanted:
            problem = "同一版本中列入决定书文号重复"
        elif listed_on is None:
            problem = "列入日期缺失或格式不正确"
        elif not reason:
            problem = "列入原因为空"
        elif _text(raw_removed) and removed_on is None:
            problem = "移出日期格式不正确"
        elif removed_on is not None and removed_on < listed_on:
            problem = "移出日期早于列入日期"
        subject = {"decision_no": decision_no, "uscc": _text(codes[i]), "name": _text(names[i])}
        if problem:
            result.invalid += 1
            if len(result.invalid_rows) < REPORTED_ROWS:
                result.invalid_rows.append(subject | {"problem": problem})
            continue
        entity_id = links.get(key)
        if entity_id is None:
            result.unlinked += 1
            result.awaiting_review += key in waiting
            if len(result.unlinked_rows) < REPORTED_ROWS:
                result.unlinked_rows.append(subject | {"awaiting_review": key in waiting})
            continue
        cause, recognised = list_cause(list_type, reason)
        result.unrecognised_reasons += not recognised
        wanted[decision_no] = {
            "entity_id": entity_id, "cause": cause, "cause_text": reason[:300], "listed_on": listed_on,
            "department_id": resolve(_text(columns["authority"][i])).pk, "removed_on": removed_on,
            "removal_reason": (_text(columns["removal_reason"][i]) or removal_default)[:300] if removed_on else "",
        }
    return wanted


def _changes(entry: ListEntry, want: dict) -> list[str]:
    """Fields of an existing entry the row changes. A row without 移出日期 keeps a removal already recorded
    (by an earlier version or the three-year rule): reinstatement would take a new decision."""
    changed = [name for name in ("entity_id", "cause", "cause_text", "listed_on", "department_id")
               if getattr(entry, name) != want[name]]
    if want["removed_on"] is not None:
        changed += [name for name in ("removed_on", "removal_reason") if getattr(entry, name) != want[name]]
    return changed


def _apply(resource: Resource, list_type: str, version: int | None, wanted: dict[str, dict],
           result: ConversionResult, actor: object, trigger: str,
           increment: entities.Increment | None = None) -> None:
    """Create and update entries in one transaction with the run's audit record."""
    existing: dict[str, ListEntry] = {}
    numbers = list(wanted)
    for start in range(0, len(numbers), 2000):
        for entry in ListEntry.objects.filter(decision_no__in=numbers[start:start + 2000]):
            existing[entry.decision_no] = entry
    new, changed, fields = [], [], set()
    created_numbers, updated_numbers, conflicts = [], [], []
    for decision_no, want in wanted.items():
        entry = existing.get(decision_no)
        if entry is None:
            new.append(ListEntry(list_type=list_type, decision_no=decision_no, **want))
            created_numbers.append(decision_no)
            continue
        if entry.list_type != list_type:
            conflicts.append(decision_no)
            if len(result.invalid_rows) < REPORTED_ROWS:
                result.invalid_rows.append({"decision_no": decision_no, "uscc": "", "name": "",
                                            "problem": f"文号已用于{entry.get_list_type_display()}的记录"})
            continue
        names = _changes(entry, want)
        if not names:
            result.unchanged += 1
            continue
        result.removed += "removed_on" in names and entry.removed_on is None
        for name in names:
            setattr(entry, name, want[name])
        fields.update(names)
        changed.append(entry)
        updated_numbers.append(decision_no)
    result.created, result.updated, result.conflicts = len(new), len(changed), len(conflicts)
    with transaction.atomic():
        ListEntry.objects.bulk_create(new, batch_size=2000)
        if changed:
            prepared.update_fields(changed, sorted(fields))
        if increment is not None:
            entities.mark_applied(increment, result.rows)
        audit.record(actor, "credit.list_resource_converted", f"resource:{resource.code}",
                     result.counts() | {"version": version, "trigger": trigger,
                                        "mode": "" if increment is None else ("full" if increment.full else "increment"), "created_decisions": created_numbers[:200],
                                        "updated_decisions": updated_numbers[:200],
                                        "conflicting_decisions": conflicts[:200]})


def convert_version(resource_code: str, version: int | None = None, actor: object = "system", *,
                    full: bool = False) -> ConversionResult:
    """Convert a lake version of a list resource into ``ListEntry`` rows (default: the current version).

    Only the rows new or changed since the version converted last are read (``entities.plan``): every
    row with ``full``, on a first run or after the table was dropped and loaded again. Converting again
    changes no entry. A version older than the current one is skipped: the newer version's own run
    converts the newer data.
    """
    resource, list_type, cols = _resource(resource_code)
    result = ConversionResult(resource_code, version)
    current = tables.current_version(resource_code)
    if current is None:
        result.skipped = "该资源尚无数据"
        return result
    if version is None:
        version = result.version = current
    elif version < current:
        result.skipped = f"已有更新的数据版本 {current},由该版本转换"
        return result
    try:
        tables.dataset(resource_code, version=version)
    except LakeError as exc:
        raise ValidationError(str(exc), code="unknown_version") from exc
    increment = entities.plan(LIST_CONSUMER, resource_code, version, full=full)
    parts = list(increment.batches())
    table = pa.concat_tables(parts) if parts else tables.dataset(resource_code, version=version).schema.empty_table()
    keys = _record_keys(table)
    codes = [clean_uscc(c) if is_valid_uscc(c) else "" for c in _column(table, cols.uscc)]
    links, waiting = _links(resource_code, version, keys, codes)
    result.rows = table.num_rows
    wanted = _wanted_rows(table, cols, list_type, resource, links, waiting, result)
    _apply(resource, list_type, version, wanted, result, actor, "version", increment)
    report(resource, result)
    return result


def convert_linked_record(resource_code: str, record_key: str, entity: Entity) -> ConversionResult | None:
    """A reviewer linked one row of a list resource: convert that row of the current version."""
    resource, list_type, cols = _resource(resource_code)
    version = tables.current_version(resource_code)
    if version is None:
        return None
    dataset = tables.dataset(resource_code, version=version)
    table = dataset.to_table(filter=pc.field(KEY_COLUMN).cast(pa.string()) == record_key)
    result = ConversionResult(resource_code, version, rows=table.num_rows)
    if not table.num_rows:
        return result
    wanted = _wanted_rows(table, cols, list_type, resource, {record_key: entity.pk}, set(), result)
    _apply(resource, list_type, version, wanted, result, "system", "link_confirmed")
    return result


def report(resource: Resource, result: ConversionResult) -> None:
    """Tell the provider (who can correct the rows) and the data bureau (which runs the linkage review)
    about rows that did not become entries; once per version, however often it is converted."""
    if not (result.unlinked or result.invalid or result.conflicts):
        return
    parts = []
    if result.unlinked:
        parts.append(f"{result.unlinked} 条未能关联市场主体")
    if result.invalid:
        parts.append(f"{result.invalid} 条数据有误")
    if result.conflicts:
        parts.append(f"{result.conflicts} 条文号与其他名单重复")
    title = f"{resource.name}第 {result.version} 版转换为信用名单:{','.join(parts)}"[:200]
    lines = [f"{resource.name}({resource.code})第 {result.version} 版共 {result.rows} 条,新列入 {result.created} 条,"
             f"更新 {result.updated} 条(其中移出 {result.removed} 条)。以下记录未转换为名单记录,"
             "请核对统一社会信用代码和企业名称后更正数据:"]
    for row in result.unlinked_rows:
        note = "(已进入关联待确认队列,确认后自动列入)" if row["awaiting_review"] else "(法人库中未找到对应主体)"
        lines.append(f"- {row['decision_no']} {row['name'] or '(无名称)'} {row['uscc'] or '(无代码)'}{note}")
    for row in result.invalid_rows:
        lines.append(f"- {row['decision_no'] or '(无文号)'} {row['name']} {row['uscc']}:{row['problem']}")
    shown = len(result.unlinked_rows) + len(result.invalid_rows)
    if shown < result.unlinked + result.invalid + result.conflicts:
        lines.append(f"(仅列出前 {shown} 条)")
    body = "\n".join(lines)
    link = "/entities/review/" if result.awaiting_review else "/credit/lists/"
    with transaction.atomic():
        bureaus = list(Department.objects.filter(is_data_bureau=True))
        for department in [resource.provider, *[d for d in bureaus if d.pk != resource.provider_id]]:
            if not Notification.objects.filter(department=department, kind=NOTIFICATION_KIND, title=title).exists():
                core.notify_department(department, NOTIFICATION_KIND, title, body, link)


# ---------------------------------------------------------------- hooks

def on_version_written(resource_code: str, version: int, mode: str) -> None:
    """Lake hook: a new version of a list resource is converted in the background."""
    if not is_list_resource(resource_code):
        return
    from . import tasks

    tasks.convert_list_version(resource_code, version)


def on_link_decided(source: str, record_key: str, entity: Entity | None) -> None:
    """A reviewer confirmed a candidate for a row of a list resource: the row becomes an entry now."""
    if entity is None or not is_list_resource(source):
        return
    try:
        with transaction.atomic():
            convert_linked_record(source, record_key, entity)
    except Exception:  # the reviewer's decision stands; the next version's conversion picks the row up
        log.exception("list entry for %s %s was not created after the link was confirmed", source, record_key)
