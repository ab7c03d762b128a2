"""What risk adds to the entity page of the lower ``entities`` app (its score, reasons, links to listed
entities and open alerts), registered in ``RiskConfig.ready``: entities never imports risk."""

from __future__ import annotations

from django.template.loader import render_to_string

from regshare.core import audit, panels
from regshare.core.permissions import Principal, has_perm
from regshare.entities.models import Entity

from . import graph, services
from .models import Alert, RiskScore

ENTITY_PAGE = "entities.entity"


def entity_panel(principal: Principal, entity: Entity) -> tuple[str, str] | None:
    if not has_perm(principal, "risk.view"):
        return None
    found = RiskScore.objects.filter(entity=entity).select_related("model_version").first()
    links = graph.paths(entity.uscc, services.LINK_HOPS, limit=5)
    alerts = Alert.objects.visible_to(principal).filter(entity=entity)[:10]
    audit.record(principal, "risk.entity_viewed", entity, {"uscc": entity.uscc})
    return "风险预警", render_to_string("risk/entity_panel.html", {
        "score": found, "links": [services.path_text(p) for p in links], "alerts": alerts})


def register() -> None:
    panels.register(ENTITY_PAGE, entity_panel, order=30)
