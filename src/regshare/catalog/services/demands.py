"""Demands (需求清单): what departments ask for, matched to resources."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from regshare.core import audit, workflow
from regshare.core import services as core_services
from regshare.core.permissions import Principal, require

from .. import search as search_index
from ..models import Demand, Frequency, Resource, Status
from .access import is_bureau

DEMAND_TEXT = ("title", "purpose", "scenario", "fields_wanted", "note")


def create_demand(actor: Principal, data: dict[str, Any]) -> Demand:
    require(actor, "catalog.demand")
    requester = data.get("requester") or actor.department
    if requester is None:
        raise ValidationError("请指定需求部门", code="requester_required")
    if not is_bureau(actor) and (actor.department is None or requester.pk != actor.department.pk):
        raise PermissionDenied("只能登记本部门的数据需求")
    values = {k: (data.get(k) or "").strip() for k in DEMAND_TEXT}
    if not values["title"]:
        raise ValidationError("请填写所需数据", code="title_required")
    frequency = data.get("frequency") or Frequency.MONTHLY
    if frequency not in Frequency.values:
        raise ValidationError(f"更新频率「{frequency}」无效", code="invalid_choice")
    with transaction.atomic():
        demand = Demand.objects.create(requester=requester, provider=data.get("provider"), frequency=frequency,
                                       created_by=actor.user, **values)
        audit.record(actor, "catalog.demand.create", demand, {"title": demand.title, "requester": requester.code})
    return demand


def suggest_resources(demand: Demand, limit: int = 5) -> list[Resource]:
    """Published resources that look like what the demand asks for (the catalog search, best first)."""
    # Half of the demand's words must match: one shared word such as 登记 is not a suggestion.
    hits = search_index.search(f"{demand.title} {demand.fields_wanted}", see_all=False,
                               filters={"status": Status.PUBLISHED}, min_match=0.5)
    ids = [int(x) for x in hits.ids[: limit * 3]]
    found = Resource.objects.select_related("provider").in_bulk(ids)
    ranked = [found[i] for i in ids if i in found]
    if demand.provider_id:
        ranked.sort(key=lambda r: r.provider_id != demand.provider_id)
    return ranked[:limit]


def demand_matched(demand: Demand, actor: Principal, data: dict) -> dict:
    resource = data["resource"]
    if resource.status != Status.PUBLISHED:
        raise ValidationError("只能匹配已发布的数据资源", code="not_published")
    demand.matched_resource = resource
    demand.note = (data.get("note") or demand.note)[:500]
    return {"resource": resource.code}


def notify_demand_matched(demand: Demand) -> None:
    resource = demand.matched_resource
    core_services.notify_department(demand.requester, "catalog.demand", f"数据需求「{demand.title}」已匹配资源",
                                    f"{resource.code} {resource.name}", reverse("catalog:detail", args=[resource.code]))


def demand_closed(demand: Demand, actor: Principal, data: dict) -> dict:
    note = data["note"].strip()
    demand.note = note[:500]
    return {"note": note}


def match_demand(actor: Principal, demand: Demand, resource: Resource, note: str = "") -> Demand:
    return workflow.perform(actor, demand, "match", resource=resource, note=note or "")


def close_demand(actor: Principal, demand: Demand, note: str) -> Demand:
    return workflow.perform(actor, demand, "close", note=(note or "").strip())
