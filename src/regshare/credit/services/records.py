"""Credit records and 双公示: publicity plans, creation, linking to entities, publication and its deadlines."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from regshare.core import audit, workflow
from regshare.core.clock import today_or
from regshare.core.codes import clean_uscc
from regshare.core.lazy import lazy_module
from regshare.core.permissions import Principal
from regshare.core.workdays import add_workdays
from regshare.entities import services as entities
from regshare.entities.models import Entity

from .. import rules
from ..models import CreditRecord, PublicityStatus, RecordKind, Severity

pa = lazy_module("pyarrow")

PUBLISHED_KINDS = (RecordKind.LICENCE, RecordKind.PENALTY)
LINK_SOURCE = "credit"


def _today(today: dt.date | None) -> dt.date:
    return today_or(today)


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
