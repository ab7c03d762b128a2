"""Joint measures (联合奖惩) and the credit check of an entity for a scenario."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import TruncMonth

from regshare.core import audit, caches
from regshare.entities import services as entities

from ..models import CreditCheck, ListEntry, ListType, Measure, MeasureKind, Scenario
from .lists import _ACTIVE_ENTRIES


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
