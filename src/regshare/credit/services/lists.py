"""Lists (经营异常名录, 严重违法失信名单 …): entries, removals and the rules that add them."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from regshare.core import audit
from regshare.core.codes import clean_uscc
from regshare.core.models import Department, Role
from regshare.core.permissions import Principal, require
from regshare.core.prepared import Prepared
from regshare.entities.models import Entity

from .. import rules
from ..models import ListCause, ListEntry, ListType
from .records import _today

RESTRICTING_LISTS = (ListType.ABNORMAL, ListType.SERIOUS, ListType.DISHONEST_DEBTOR, ListType.TAX_VIOLATION)


def _require_listing_department(actor: Principal, department_id: int | None) -> None:
    """Lists are kept by the department that decided the listing; the platform admin may stand in for any."""
    require(actor, "credit.manage")
    if Role.PLATFORM_ADMIN not in actor.roles and (actor.department_id is None
                                                   or actor.department_id != department_id):
        raise PermissionDenied("只有作出列入决定的部门可以办理名单的列入和移出")


def add_to_list(actor: Principal, entity: Entity, list_type: str, cause: str, decision_no: str,
                department: Department, listed_on: dt.date, cause_text: str = "",
                origin: ListEntry | None = None) -> ListEntry:
    _require_listing_department(actor, department.pk if department is not None else None)
    return _list(actor, entity, list_type, cause, decision_no, department, listed_on, cause_text, origin)


def _list(actor: Principal | str, entity: Entity, list_type: str, cause: str, decision_no: str,
          department: Department, listed_on: dt.date, cause_text: str = "",
          origin: ListEntry | None = None) -> ListEntry:
    """The listing itself, for a checked person or for the list rules (the scheduler, ``actor`` "system")."""
    if list_type not in ListType.values:
        raise ValidationError(f"未知的名单类型: {list_type}", code="unknown_list")
    if cause not in ListCause.values:
        raise ValidationError(f"未知的列入事由: {cause}", code="unknown_cause")
    decision_no = (decision_no or "").strip()
    if not decision_no:
        raise ValidationError("请填写列入决定书文号", code="decision_required")
    if ListEntry.objects.filter(decision_no=decision_no).exists():
        raise ValidationError("决定书文号已存在", code="duplicate_decision")
    with transaction.atomic():
        entry = ListEntry.objects.create(list_type=list_type, entity=entity, cause=cause, decision_no=decision_no,
                                         department=department, listed_on=listed_on, cause_text=cause_text,
                                         origin=origin)
        audit.record(actor, "credit.listed", entry, {"list": list_type, "cause": cause, "entity": entity.uscc})
    return entry


def remove_from_list(actor: Principal, entry: ListEntry, removed_on: dt.date, reason: str) -> ListEntry:
    _require_listing_department(actor, entry.department_id)
    return _unlist(actor, entry, removed_on, reason)


def _unlist(actor: Principal | str, entry: ListEntry, removed_on: dt.date, reason: str) -> ListEntry:
    """The removal itself, for a checked person or for the list rules (the scheduler, ``actor`` "system")."""
    with transaction.atomic():
        entry = ListEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.removed_on is not None:
            raise ValidationError("该名单记录已移出", code="already_removed")
        if not (reason or "").strip():
            raise ValidationError("移出须说明原因", code="reason_required")
        if removed_on < entry.listed_on:
            raise ValidationError("移出日期不能早于列入日期", code="invalid_date")
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
            _unlist("system", entry, today, "列入经营异常名录届满3年,转入严重违法失信名单")
            _list("system", entry.entity, ListType.SERIOUS, ListCause.ABNORMAL_3Y,
                  f"{entry.decision_no}-转严", department or entry.department, today,
                  f"因“{entry.get_cause_display()}”列入经营异常名录届满3年仍未履行相关义务", origin=entry)
        promoted += 1
    cutoff_serious = rules.add_years(today, -rules.SERIOUS_LIST_YEARS)
    for entry in ListEntry.objects.filter(list_type=ListType.SERIOUS, removed_on__isnull=True,
                                          listed_on__lte=cutoff_serious):
        _unlist("system", entry, today, "列入严重违法失信名单满3年,依法移出")
        expired += 1
    return {"promoted": promoted, "expired": expired}


def active_entries(entity: Entity) -> QuerySet[ListEntry]:
    return entity.list_entries.filter(removed_on__isnull=True)


# What every credit check reads, compiled once (see core.prepared).
_ACTIVE_ENTRIES = Prepared(lambda entity_id: ListEntry.objects.filter(entity_id=entity_id, removed_on__isnull=True)
                           .select_related("department"), "int")


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
