"""Rules of credit supervision: records, 双公示, repair, lists, joint measures and credit checks."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from regshare.core import audit, caches, workflow
from regshare.core.clock import today_or
from regshare.core.codes import clean_uscc
from regshare.core.lazy import lazy_module
from regshare.core.models import Department
from regshare.core.permissions import Principal, require
from regshare.core.prepared import Prepared
from regshare.core.workdays import add_workdays
from regshare.entities import services as entities
from regshare.entities.models import Entity

from . import rules
from .models import (
    CreditCheck,
    CreditRecord,
    ListCause,
    ListEntry,
    ListType,
    Measure,
    MeasureKind,
    PublicityStatus,
    RecordKind,
    RepairApplication,
    RepairStatus,
    RiskAssessment,
    Scenario,
    Severity,
)

pa = lazy_module("pyarrow")

PUBLISHED_KINDS = (RecordKind.LICENCE, RecordKind.PENALTY)
LINK_SOURCE = "credit"
RESTRICTING_LISTS = (ListType.ABNORMAL, ListType.SERIOUS, ListType.DISHONEST_DEBTOR, ListType.TAX_VIOLATION)


def _today(today: dt.date | None) -> dt.date:
    return today_or(today)


# ---------------------------------------------------------------- records and 双公示

def publicity_plan(kind: str, severity: str, decided_on: dt.date, due_cache: dict | None = None) -> dict:
    """Deadline, period and earliest repair date of a record, computed when the clock starts."""
    if kind not in PUBLISHED_KINDS or (kind == RecordKind.PENALTY and severity in ("", Severity.SIMPLE)):
        return {"publicity": PublicityStatus.NOT_REQUIRED, "publish_due": None, "publicity_until": None,
                "repair_from": None}
    plan = {"publicity": PublicityStatus.PENDING,
            "publish_due": _publish_due(decided_on, due_cache),
            "publicity_until": None, "repair_from": None}
    if kind == RecordKind.PENALTY:
        months, repair_after = rules.PENALTY_PERIODS[severity]
        plan["publicity_until"] = rules.add_months(decided_on, months)
        plan["repair_from"] = rules.add_months(decided_on, repair_after)
    return plan


def _publish_due(decided_on: dt.date, cache: dict | None) -> dt.date:
    if cache is None:
        return add_workdays(decided_on, rules.PUBLISH_WITHIN_WORKDAYS)
    if decided_on not in cache:
        cache[decided_on] = add_workdays(decided_on, rules.PUBLISH_WITHIN_WORKDAYS)
    return cache[decided_on]


def _validate_record(data: dict) -> None:
    if data.get("kind") not in RecordKind.values:
        raise ValidationError(f"未知的信用记录类别: {data.get('kind')}", code="unknown_kind")
    if not (data.get("doc_no") or "").strip():
        raise ValidationError("文书号不能为空", code="doc_no_required")
    if not (data.get("raw_name") or "").strip() and not (data.get("raw_uscc") or "").strip():
        raise ValidationError("主体名称和统一社会信用代码不能同时为空", code="subject_required")
    if data.get("kind") == RecordKind.PENALTY and data.get("severity") not in Severity.values[1:]:
        raise ValidationError("行政处罚须注明失信程度(简易程序/一般失信/严重失信)", code="severity_required")
    if not isinstance(data.get("decided_on"), dt.date):
        raise ValidationError("决定日期格式不正确", code="invalid_date")


def build_record(data: dict, known: dict[str, int] | None = None, due_cache: dict | None = None) -> CreditRecord:
    """An unsaved record with its publicity plan; exact link when the code is in the master."""
    _validate_record(data)
    code = clean_uscc(data.get("raw_uscc"))
    if known is None:
        entity_id = Entity.objects.filter(uscc=code).values_list("id", flat=True).first() if code else None
    else:
        entity_id = known.get(code)
    record = CreditRecord(
        kind=data["kind"], doc_no=data["doc_no"].strip(), entity_id=entity_id, raw_uscc=data.get("raw_uscc") or "",
        raw_name=data.get("raw_name") or "", raw_legal_rep=data.get("raw_legal_rep") or "",
        raw_address=data.get("raw_address") or "", department=data["department"], title=data.get("title") or "",
        content=data.get("content") or "", legal_basis=data.get("legal_basis") or "",
        decided_on=data["decided_on"], severity=data.get("severity") or "", amount=data.get("amount"),
        outcome=data.get("outcome") or "", link_method="exact" if entity_id else "",
        **publicity_plan(data["kind"], data.get("severity") or "", data["decided_on"], due_cache))
    if data.get("published_on") and record.publicity == PublicityStatus.PENDING:
        record.published_on = data["published_on"]
        record.publicity = PublicityStatus.PUBLISHED
    return record


def create_record(actor: object, data: dict) -> CreditRecord:
    with transaction.atomic():
        if CreditRecord.objects.filter(kind=data.get("kind"), doc_no=(data.get("doc_no") or "").strip()).exists():
            raise ValidationError("同类信用记录中已存在该文书号", code="duplicate_doc_no")
        record = build_record(data)
        record.save()
        audit.record(actor, "credit.record_created", record, {"kind": record.kind, "doc_no": record.doc_no})
    if record.entity_id is None:
        link_unlinked([record.kind])
        record.refresh_from_db()
    return record


def bulk_create_records(actor: object, rows: list[dict]) -> int:
    """Many records at once (demo, imports): validated, exact-linked, then the rest linked by Splink."""
    existing = set(CreditRecord.objects.values_list("kind", "doc_no"))
    rows = [row for row in rows if (row["kind"], row["doc_no"]) not in existing]
    # Only the entities these records name: the whole master may be a million entities.
    codes = sorted({clean_uscc(row.get("raw_uscc") or "") for row in rows} - {""})
    known: dict[str, int] = {}
    for start in range(0, len(codes), 5000):
        known.update(Entity.objects.filter(uscc__in=codes[start:start + 5000]).values_list("uscc", "id"))
    cache: dict = {}
    objs = [build_record(row, known, cache) for row in rows]
    with transaction.atomic():
        CreditRecord.objects.bulk_create(objs, batch_size=2000)
        audit.record(actor, "credit.records_imported", "credit:records", {"count": len(objs)})
    if objs:  # a re-run that adds nothing does not link the old unlinked records against the master again
        link_unlinked()
    return len(objs)


def link_unlinked(kinds: list[str] | None = None) -> int:
    """Link records that carry no usable code (missing or malformed) to the master, in one Splink run.

    The link source is ``credit`` and the record key ``<kind>:<doc_no>``.
    """
    qs = CreditRecord.objects.filter(entity__isnull=True)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    rows = list(qs.values_list("kind", "doc_no", "raw_uscc", "raw_name", "raw_legal_rep", "raw_address"))
    if not rows:
        return 0
    kind, doc, uscc, name, rep, address = (list(c) for c in zip(*rows, strict=True))
    table = pa.table({"record_key": [f"{k}:{d}" for k, d in zip(kind, doc, strict=True)], "uscc": uscc,
                      "name": name, "legal_rep": [r or None for r in rep], "address": [a or None for a in address],
                      "established": pa.nulls(len(doc), pa.string())})
    outcome = entities.link_records(LINK_SOURCE, table)
    linked = 0
    with transaction.atomic():
        for method, mapping in (("exact", outcome.exact), ("probabilistic", outcome.probabilistic)):
            groups: dict[tuple[int, str], list[str]] = defaultdict(list)
            for key, entity_id in mapping.items():
                record_kind, doc_no = key.split(":", 1)
                groups[(entity_id, record_kind)].append(doc_no)
            for (entity_id, record_kind), docs in groups.items():
                linked += CreditRecord.objects.filter(kind=record_kind, doc_no__in=docs).update(
                    entity_id=entity_id, link_method=method)
    return linked


def on_link_decided(source: str, record_key: str, entity: Entity | None) -> None:
    """A reviewer confirmed (or rejected) a candidate for one of our records."""
    if source != LINK_SOURCE or entity is None:
        return
    kind, doc_no = record_key.split(":", 1)
    CreditRecord.objects.filter(kind=kind, doc_no=doc_no).update(entity=entity, link_method="manual")


def publish(actor: Principal, record: CreditRecord, on: dt.date | None = None) -> CreditRecord:
    """Mark a licence or penalty published (双公示); lateness is kept, not refused."""
    return workflow.perform(actor, record, "publish", on=_today(on))


def is_late(record: CreditRecord, today: dt.date | None = None) -> bool:
    if record.publish_due is None:
        return False
    if record.published_on is not None:
        return record.published_on > record.publish_due
    return _today(today) > record.publish_due and record.publicity == PublicityStatus.PENDING


def late_publications(today: dt.date | None = None) -> QuerySet[CreditRecord]:
    """Records published late or still unpublished after their 7-working-day deadline."""
    today = _today(today)
    from django.db.models import F

    return CreditRecord.objects.filter(
        Q(publicity=PublicityStatus.PENDING, publish_due__lt=today)
        | Q(published_on__isnull=False, publish_due__isnull=False, published_on__gt=F("publish_due"))
    ).select_related("entity", "department")


def publicity_summary(today: dt.date | None = None) -> dict:
    today = _today(today)
    qs = CreditRecord.objects.filter(kind__in=PUBLISHED_KINDS).exclude(publicity=PublicityStatus.NOT_REQUIRED)
    total = qs.count()
    late = late_publications(today).count()
    on_time = qs.filter(published_on__isnull=False).count() - late_publications(today).filter(
        published_on__isnull=False).count()
    return {"total": total, "late": late, "on_time": on_time,
            "pending": qs.filter(publicity=PublicityStatus.PENDING).count(),
            "on_time_rate": round(on_time / total, 4) if total else None}


def expire_publicity(today: dt.date | None = None) -> int:
    """Publicity periods that ran out end (periodic task)."""
    today = _today(today)
    with transaction.atomic():
        count = CreditRecord.objects.filter(publicity=PublicityStatus.PUBLISHED, publicity_until__lt=today).update(
            publicity=PublicityStatus.EXPIRED)
        if count:
            audit.record("system", "credit.publicity_expired", "credit:records", {"count": count, "date": today})
    return count


# ---------------------------------------------------------------- credit repair (信用修复)

def apply_repair(actor: Principal, record: CreditRecord, applicant: str, reason: str, commitment: bool,
                 today: dt.date | None = None) -> RepairApplication:
    """Accept a repair application (the deciding department's staff enter it); it waits in the repair workflow."""
    require(actor, "credit.manage")
    today = _today(today)
    if record.kind != RecordKind.PENALTY or record.publicity != PublicityStatus.PUBLISHED:
        raise ValidationError("只有公示中的行政处罚信息可以申请信用修复", code="not_repairable")
    if record.repair_from and today < record.repair_from:
        raise ValidationError(f"最短公示期未满,{record.repair_from:%Y年%m月%d日}起方可申请信用修复",
                              code="repair_too_early")
    if not (applicant or "").strip() or not (reason or "").strip():
        raise ValidationError("申请人和申请理由不能为空", code="repair_fields_required")
    if not commitment:
        raise ValidationError("申请信用修复须作出信用承诺", code="commitment_required")
    if record.repairs.filter(status=RepairStatus.SUBMITTED).exists():
        raise ValidationError("该记录已有待审核的修复申请", code="repair_pending")
    with transaction.atomic():
        application = RepairApplication.objects.create(
            record=record, applicant=applicant.strip(), reason=reason.strip(), commitment=True, submitted_on=today,
            due_on=add_workdays(today, rules.REPAIR_DECISION_WORKDAYS))
        audit.record(actor, "credit.repair_applied", application, {"record": record.doc_no})
    return application


def decide_repair(principal: Principal, application: RepairApplication, approve: bool, note: str = "",
                  today: dt.date | None = None) -> RepairApplication:
    return workflow.perform(principal, application, "approve" if approve else "reject", note=note or "",
                            on=_today(today))


# ---------------------------------------------------------------- lists

def add_to_list(actor: object, entity: Entity, list_type: str, cause: str, decision_no: str, department: Department,
                listed_on: dt.date, cause_text: str = "", origin: ListEntry | None = None) -> ListEntry:
    if list_type not in ListType.values:
        raise ValidationError(f"未知的名单类型: {list_type}", code="unknown_list")
    if cause not in ListCause.values:
        raise ValidationError(f"未知的列入事由: {cause}", code="unknown_cause")
    if ListEntry.objects.filter(decision_no=decision_no).exists():
        raise ValidationError("决定书文号已存在", code="duplicate_decision")
    with transaction.atomic():
        entry = ListEntry.objects.create(list_type=list_type, entity=entity, cause=cause, decision_no=decision_no,
                                         department=department, listed_on=listed_on, cause_text=cause_text,
                                         origin=origin)
        audit.record(actor, "credit.listed", entry, {"list": list_type, "cause": cause, "entity": entity.uscc})
    return entry


def remove_from_list(actor: object, entry: ListEntry, removed_on: dt.date, reason: str) -> ListEntry:
    if entry.removed_on is not None:
        raise ValidationError("该名单记录已移出", code="already_removed")
    if not (reason or "").strip():
        raise ValidationError("移出须说明原因", code="reason_required")
    if removed_on < entry.listed_on:
        raise ValidationError("移出日期不能早于列入日期", code="invalid_date")
    with transaction.atomic():
        entry.removed_on = removed_on
        entry.removal_reason = reason.strip()
        entry.save(update_fields=["removed_on", "removal_reason"])
        audit.record(actor, "credit.removed_from_list", entry, {"list": entry.list_type, "reason": reason})
    return entry


def apply_list_rules(today: dt.date | None = None) -> dict:
    """Periodic list rules: abnormal ≥3 years → serious list; serious list ends after 3 years."""
    today = _today(today)
    promoted = expired = 0
    department = Department.objects.filter(code__endswith="SCJG").first()
    cutoff_abnormal = rules.add_years(today, -rules.ABNORMAL_TO_SERIOUS_YEARS)
    for entry in ListEntry.objects.filter(list_type=ListType.ABNORMAL, removed_on__isnull=True,
                                          listed_on__lte=cutoff_abnormal).select_related("entity"):
        with transaction.atomic():
            remove_from_list("system", entry, today, "列入经营异常名录届满3年,转入严重违法失信名单")
            add_to_list("system", entry.entity, ListType.SERIOUS, ListCause.ABNORMAL_3Y,
                        f"{entry.decision_no}-转严", department or entry.department, today,
                        f"因“{entry.get_cause_display()}”列入经营异常名录届满3年仍未履行相关义务", origin=entry)
        promoted += 1
    cutoff_serious = rules.add_years(today, -rules.SERIOUS_LIST_YEARS)
    for entry in ListEntry.objects.filter(list_type=ListType.SERIOUS, removed_on__isnull=True,
                                          listed_on__lte=cutoff_serious):
        remove_from_list("system", entry, today, "列入严重违法失信名单满3年,依法移出")
        expired += 1
    return {"promoted": promoted, "expired": expired}


def active_entries(entity: Entity) -> QuerySet[ListEntry]:
    return entity.list_entries.filter(removed_on__isnull=True)


# What every credit check reads, compiled once (see core.prepared).
_ACTIVE_ENTRIES = Prepared(lambda entity_id: ListEntry.objects.filter(entity_id=entity_id, removed_on__isnull=True)
                           .select_related("department"), "int")


# ---------------------------------------------------------------- joint measures and credit check

def parse_scenario(value: str) -> str:
    value = (value or "").strip()
    for code, label in Scenario.choices:
        if value in (code, label):
            return code
    names = "、".join(label for _, label in Scenario.choices)
    raise ValidationError(f"未知的应用场景“{value}”,可选: {names}", code="unknown_scenario")


MEASURE_CACHE_SECONDS = 60
_MEASURES = caches.ttl_cache(maxsize=64, seconds=MEASURE_CACHE_SECONDS)


def measures_for(scenario: str) -> list[dict]:
    """Active measures of a scenario. Memoranda change rarely and every check needs them, so they are kept
    in memory for a minute (an edit in the admin shows within that minute)."""
    return caches.get_or_load(_MEASURES, scenario, lambda: _load_measures(scenario))


def _load_measures(scenario: str) -> list[dict]:
    return [{"list_type": m.memorandum.list_type, "kind": m.memorandum.kind,
             "kind_label": m.memorandum.get_kind_display(), "memorandum": m.memorandum.title,
             "document_no": m.memorandum.document_no, "department": m.department, "measure": m.text,
             "legal_basis": m.legal_basis}
            for m in Measure.objects.filter(scenario=scenario, memorandum__active=True).select_related("memorandum")
            .order_by("memorandum__kind", "memorandum__code", "id")]


def clear_measure_cache() -> None:
    caches.clear(_MEASURES)


def check(principal: object, uscc: str, scenario: str, purpose: str = "") -> dict:
    """信用核查: the measures that apply to an entity in a scenario; the check is recorded."""
    scenario = parse_scenario(scenario)
    entity = entities.get_entity(uscc, related=("risk",))
    entries = _ACTIVE_ENTRIES.all(entity.pk)
    risk = getattr(entity, "risk", None) if hasattr(entity, "risk") else None
    trusted = {e.list_type for e in entries}
    if risk is not None and risk.risk_class == "A":
        trusted.add(ListType.RED)  # A class is treated as trustworthy for green-channel measures
    by_list: dict[str, list[ListEntry]] = defaultdict(list)
    for entry in entries:
        by_list[entry.list_type].append(entry)
    measures = []
    for m in measures_for(scenario) if trusted else []:
        if m["list_type"] not in trusted:
            continue
        sources = [{"list": e.get_list_type_display(), "decision_no": e.decision_no, "listed_on": e.listed_on,
                    "cause": e.get_cause_display(), "department": e.department.name}
                   for e in by_list.get(m["list_type"], [])]
        if not sources and m["list_type"] == ListType.RED:
            sources = [{"list": "信用风险分类A类", "decision_no": "", "listed_on": risk.computed_on if risk else None,
                        "cause": "信用风险分类评价为A类", "department": "区市场监管局"}]
        measures.append({k: v for k, v in m.items() if k != "list_type"} | {"sources": sources})
    punish = sum(1 for m in measures if m["kind"] == MeasureKind.PUNISH)
    reward = len(measures) - punish
    conclusion = "限制" if punish else ("绿色通道" if reward else "无限制")
    department = getattr(principal, "department", None)
    # The check record and its audit record commit together through the audit group writer (one commit for
    # the checks of concurrent requests); if they cannot be written, AuditUnavailable: no unaudited answer.
    record = audit.record_row(principal, "credit.checked", CreditCheck(
        entity=entity, scenario=scenario, actor=audit.actor_name(principal), department=department,
        purpose=(purpose or "")[:200], punish_count=punish, reward_count=reward, conclusion=conclusion,
        risk_class=risk.risk_class if risk else ""), {"uscc": entity.uscc, "scenario": scenario,
                                                       "conclusion": conclusion})
    return {"check_id": record.pk, "entity": entity, "scenario": scenario,
            "scenario_label": Scenario(scenario).label, "conclusion": conclusion,
            "risk_class": risk.risk_class if risk else None, "measures": measures,
            "lists": [{"list": e.get_list_type_display(), "decision_no": e.decision_no, "listed_on": e.listed_on,
                       "cause": e.get_cause_display()} for e in entries],
            "checked_at": record.created_at}


def check_statistics(since: dt.date | None = None) -> dict:
    qs = CreditCheck.objects.all()
    if since:
        qs = qs.filter(created_at__date__gte=since)
    total = qs.count()
    by_scenario = {Scenario(r["scenario"]).label: r["n"] for r in qs.values("scenario").annotate(n=Count("id"))}
    by_conclusion = {r["conclusion"]: r["n"] for r in qs.values("conclusion").annotate(n=Count("id"))}
    by_department = {(r["department__name"] or "系统接口"): r["n"]
                     for r in qs.values("department__name").annotate(n=Count("id")).order_by("-n")}
    by_month = {r["m"].strftime("%Y-%m"): r["n"] for r in qs.annotate(m=TruncMonth("created_at")).values("m")
                .annotate(n=Count("id")).order_by("m") if r["m"]}
    restricted = by_conclusion.get("限制", 0)
    return {"total": total, "restricted": restricted, "restricted_rate": round(restricted / total, 4) if total else None,
            "by_scenario": by_scenario, "by_conclusion": by_conclusion, "by_department": by_department,
            "by_month": by_month}


# ---------------------------------------------------------------- entity-facing views of credit

def timeline_events(entity: Entity) -> list[dict]:
    events = []
    for r in entity.credit_records.select_related("department"):
        events.append({"date": r.decided_on, "kind": r.kind, "kind_label": r.get_kind_display(), "title": r.title,
                       "department": r.department.name, "detail": r.doc_no})
    for e in entity.list_entries.select_related("department"):
        events.append({"date": e.listed_on, "kind": "list_in", "kind_label": f"列入{e.get_list_type_display()}",
                       "title": e.get_cause_display(), "department": e.department.name, "detail": e.decision_no})
        if e.removed_on:
            events.append({"date": e.removed_on, "kind": "list_out", "kind_label": f"移出{e.get_list_type_display()}",
                           "title": e.removal_reason, "department": e.department.name, "detail": e.decision_no})
    return events


def records_by_department(entity: Entity) -> list[dict]:
    groups: dict[tuple[str, str], list[CreditRecord]] = defaultdict(list)
    for r in entity.credit_records.select_related("department").order_by("-decided_on"):
        groups[(r.department.name, r.get_kind_display())].append(r)
    return [{"department": d, "kind": k, "records": rs} for (d, k), rs in sorted(groups.items())]


def list_entries(entity: Entity) -> list[ListEntry]:
    return list(entity.list_entries.select_related("department").order_by("-listed_on"))


def risk_of(entity: Entity) -> RiskAssessment | None:
    return RiskAssessment.objects.filter(entity=entity).first()


def entity_counts(entity: Entity) -> dict:
    counts = Counter(entity.credit_records.values_list("kind", flat=True))
    return {label: counts.get(code, 0) for code, label in RecordKind.choices}


# ---------------------------------------------------------------- public look-up (信用中国-style)

def public_records(entity: Entity, today: dt.date | None = None) -> QuerySet[CreditRecord]:
    """What the public sees: published licences and penalties inside their publicity period."""
    today = _today(today)
    return (entity.credit_records.filter(publicity=PublicityStatus.PUBLISHED)
            .filter(Q(publicity_until__isnull=True) | Q(publicity_until__gte=today))
            .select_related("department").order_by("-decided_on"))


def public_lists(entity: Entity) -> QuerySet[ListEntry]:
    return entity.list_entries.filter(removed_on__isnull=True).select_related("department")


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def list_query(list_type: str = "", active: bool | None = None, q: str = "") -> QuerySet[ListEntry]:
    qs = ListEntry.objects.select_related("entity", "department")
    if list_type:
        if list_type not in ListType.values:
            raise ValidationError(f"未知的名单类型: {list_type}", code="unknown_list")
        qs = qs.filter(list_type=list_type)
    if active is True:
        qs = qs.filter(removed_on__isnull=True)
    elif active is False:
        qs = qs.filter(removed_on__isnull=False)
    if q:
        qs = qs.filter(Q(entity__name__icontains=q) | Q(entity__uscc__startswith=clean_uscc(q))
                       | Q(decision_no__icontains=q))
    return qs.order_by("-listed_on", "-id")


def record_query(kind: str = "", uscc: str = "", publicity: str = "", q: str = "") -> QuerySet[CreditRecord]:
    qs = CreditRecord.objects.select_related("entity", "department")
    if kind:
        if kind not in RecordKind.values:
            raise ValidationError(f"未知的信用记录类别: {kind}", code="unknown_kind")
        qs = qs.filter(kind=kind)
    if uscc:
        qs = qs.filter(entity__uscc=clean_uscc(uscc))
    if publicity:
        if publicity not in PublicityStatus.values:
            raise ValidationError(f"未知的公示状态: {publicity}", code="unknown_publicity")
        qs = qs.filter(publicity=publicity)
    if q:
        qs = qs.filter(Q(raw_name__icontains=q) | Q(doc_no__icontains=q) | Q(title__icontains=q))
    return qs.order_by("-decided_on", "-id")


ANNUAL_REPORT_RESOURCE = "SCJG-0008"


def apply_annual_report_rule(today: dt.date | None = None) -> int:
    """From 1 July, entities with no annual report for the previous year in SCJG-0008 go on the abnormal list.

    Runs only when SCJG-0008 holds reports for that year: a missing or empty table means the data did not
    arrive, not that every entity failed to report.
    """
    from regshare.lake import tables

    today = _today(today)
    year = today.year - 1 if today >= dt.date(today.year, 7, 1) else today.year - 2
    deadline = dt.date(year + 1, 6, 30)
    if not tables.exists(ANNUAL_REPORT_RESOURCE):
        return 0
    reports = tables.read(ANNUAL_REPORT_RESOURCE, columns=["uscc", "year", "reported_on"])
    filed = set()
    for code, report_year, reported_on in zip(*(reports.column(c).to_pylist() for c in ("uscc", "year", "reported_on")),
                                              strict=True):
        if str(report_year) == str(year) and (reported_on is None or str(reported_on)[:10] <= deadline.isoformat()):
            filed.add(clean_uscc(code))
    if not filed:
        return 0
    already = set(ListEntry.objects.filter(list_type=ListType.ABNORMAL, cause=ListCause.ANNUAL_REPORT,
                                           removed_on__isnull=True).values_list("entity_id", flat=True))
    department = Department.objects.filter(code__endswith="SCJG").first()
    due = (Entity.objects.filter(status__in=["存续", "在业"], established__lte=dt.date(year, 12, 31))
           .exclude(uscc__in=filed).exclude(pk__in=already).values_list("pk", "uscc"))
    existing = set(ListEntry.objects.filter(decision_no__startswith=f"年报-{year}-").values_list("decision_no",
                                                                                                flat=True))
    entries = [ListEntry(list_type=ListType.ABNORMAL, entity_id=pk, cause=ListCause.ANNUAL_REPORT,
                         cause_text=f"未在{deadline:%Y年%m月%d日}前报送并公示{year}年度报告", department=department,
                         decision_no=f"年报-{year}-{code}", listed_on=today)
               for pk, code in due if f"年报-{year}-{code}" not in existing]
    with transaction.atomic():
        ListEntry.objects.bulk_create(entries, batch_size=2000)
        audit.record("system", "credit.listed_for_annual_report", "credit:lists",
                     {"year": year, "count": len(entries), "uscc": [e.decision_no.rsplit("-", 1)[1] for e in entries][:200]})
    return len(entries)
