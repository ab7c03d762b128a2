"""Sections the sharing workflow adds to the catalog's resource page."""

from __future__ import annotations

from django.template.loader import render_to_string

from regshare.catalog.models import Resource, ShareType, Status
from regshare.core import panels
from regshare.core.permissions import Principal, has_perm

from .models import Grant, GrantStatus


def use_panel(principal: Principal, resource: Resource) -> tuple[str, str] | None:
    """申请使用: the way from a resource to its data — the department's live grant, the direct use of a
    dedicated resource, or an application form filled in with this resource."""
    department = principal.department
    if (department is None or not has_perm(principal, "exchange.view") or resource.status != Status.PUBLISHED
            or resource.provider_id == department.pk):
        return None
    from .services import grant_is_live

    grants = [g for g in Grant.objects.filter(resource=resource, consumer=department, status=GrantStatus.ACTIVE)
              if grant_is_live(g)]
    dedicated = resource.dedicated_departments.filter(pk=department.pk).exists()
    can_apply = has_perm(principal, "exchange.apply") and resource.share_type != ShareType.NONE
    if not (grants or dedicated or can_apply):
        return None
    return "共享使用", render_to_string("exchange/_resource_panel.html", {
        "resource": resource, "grants": grants, "dedicated": dedicated, "can_apply": can_apply,
        "unconditional": resource.share_type == ShareType.UNCONDITIONAL})


def register() -> None:
    panels.register("catalog.resource", use_panel, order=5)
