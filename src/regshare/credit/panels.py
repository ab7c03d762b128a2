"""What credit adds to the entity pages of the lower ``entities`` app (一企一档, the entity list and the
profile API), registered in ``CreditConfig.ready``: entities never imports credit."""

from __future__ import annotations

from django.template.loader import render_to_string

from regshare.core import panels
from regshare.core.permissions import Principal
from regshare.entities.models import Entity
from regshare.entities.services import ENTITY_API, ENTITY_LIST, ENTITY_PAGE

from . import services
from .models import RiskAssessment


def entity_panel(principal: Principal, entity: Entity) -> tuple[str, str]:
    html = render_to_string("credit/entity_panel.html", {
        "entity": entity, **sections(entity)})
    return "信用信息", html


def sections(entity: Entity) -> dict:
    """Risk class, list entries and records of one entity, as the page and the report show them."""
    return {"risk": services.risk_of(entity), "lists": services.list_entries(entity),
            "credit_records": services.records_by_department(entity)}


def entity_timeline(principal: Principal, entity: Entity) -> dict:
    return {"timeline": services.timeline_events(entity)}


def entity_api(principal: Principal, entity: Entity) -> dict:
    data = sections(entity)
    risk = data["risk"]
    return {
        "risk": {"risk_class": risk.risk_class, "score": risk.score, "probability": risk.probability,
                 "reasons": risk.reasons, "computed_on": risk.computed_on} if risk else None,
        "lists": [{"list_type": e.list_type, "list_label": e.get_list_type_display(), "cause": e.cause,
                   "cause_label": e.get_cause_display(), "decision_no": e.decision_no,
                   "department": e.department.name, "listed_on": e.listed_on, "removed_on": e.removed_on,
                   "removal_reason": e.removal_reason} for e in data["lists"]],
        "credit_records": [{"kind": r.kind, "doc_no": r.doc_no, "department": r.department.name, "title": r.title,
                            "decided_on": r.decided_on, "severity": r.severity, "outcome": r.outcome,
                            "publicity": r.publicity, "link_method": r.link_method}
                           for g in data["credit_records"] for r in g["records"]],
    }


def risk_classes(principal: Principal, entities: list) -> dict:
    return dict(RiskAssessment.objects.filter(entity__in=entities).values_list("entity_id", "risk_class"))


RISK_COLUMN = panels.Column("risk_class", "信用风险分类", risk_classes, display=lambda value: f"{value}类",
                            empty="未评价")


def register() -> None:
    panels.register(ENTITY_PAGE, entity_panel, order=10)
    panels.register_data(ENTITY_PAGE, entity_timeline)
    panels.register_data(ENTITY_API, entity_api)
    panels.register_column(ENTITY_LIST, RISK_COLUMN)
