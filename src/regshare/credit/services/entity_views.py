"""Credit as seen from an entity's page: timeline, records by department, lists, risk."""

from __future__ import annotations

from collections import Counter, defaultdict

from regshare.entities.models import Entity

from ..models import CreditRecord, ListEntry, RecordKind, RiskAssessment


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
