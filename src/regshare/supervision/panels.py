"""What supervision adds to the entity pages of the lower ``entities`` app (registered in
``SupervisionConfig.ready``): a section on the entity page and a ``supervision`` part of the profile API,
each showing only what the viewer may see (``visible_to``)."""

from __future__ import annotations

from django.template.loader import render_to_string

from regshare.core import panels
from regshare.core.permissions import Principal, has_perm
from regshare.entities.models import Entity
from regshare.entities.services import ENTITY_API, ENTITY_PAGE

from . import services


def entity_panel(principal: Principal, entity: Entity) -> tuple[str, str] | None:
    if not has_perm(principal, "supervision.view"):
        return None
    data = services.entity_summary(principal, entity)
    if not any(len(v) for v in data.values()):
        return None
    return "监管记录", render_to_string("supervision/entity_panel.html", data)


def entity_api(principal: Principal, entity: Entity) -> dict:
    if not has_perm(principal, "supervision.view"):
        return {}
    data = services.entity_summary(principal, entity)
    return {"supervision": {
        "records": [{"kind": r.kind, "doc_no": r.doc_no, "department": r.department.name,
                     "catalog_code": r.item.catalog_code, "decided_on": r.decided_on} for r in data["records"]],
        "inspections": [{"task": s.task.code, "outcome": s.outcome, "inspected_on": s.inspected_on}
                        for s in data["inspections"]],
        "complaints": [{"order_no": c.order_no, "status": c.status, "received_on": c.received_on}
                       for c in data["complaints"]],
    }}


def register() -> None:
    panels.register(ENTITY_PAGE, entity_panel, order=30)
    panels.register_data(ENTITY_API, entity_api)
