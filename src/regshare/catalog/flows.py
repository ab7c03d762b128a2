"""Catalog publication as a declared workflow (seed 002 第七条): the provider submits a draft, the data
bureau publishes it or sends it back with a reason. "Submitted" is a mark on a draft (``submitted_at``),
so submit and reject leave the state at 草稿 and change the mark."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from regshare.core import workflow
from regshare.core.models import Role
from regshare.core.permissions import Principal

from .models import DemandStatus, Resource, Status

# Work items go to the data bureau's staff; a platform admin (a technical role) is not given them.
STAFF_ROLES = frozenset({Role.REVIEWER, Role.DATA_LIAISON, Role.DEPARTMENT_ADMIN, Role.LEADER})
BUREAU_ONLY = "只有数据管理部门(区数据管理局)可以审核、发布数据资源"


def _services():
    from . import services  # services calls perform and holds the writes; imported late to avoid a cycle

    return services


def _provider(principal: Principal, resource: Resource) -> bool:
    return Role.PLATFORM_ADMIN in principal.roles or principal.department_id == resource.provider_id


def _bureau(principal: Principal, resource: Resource) -> bool:
    return _services().is_bureau(principal)


def _bureau_staff(principal: Principal) -> Q | None:
    department = principal.department
    if department is None or not department.is_data_bureau or not principal.roles & STAFF_ROLES:
        return None
    from regshare.core.permissions import has_perm

    return Q(submitted_at__isnull=False) if has_perm(principal, "catalog.review") else None


PUBLICATION = workflow.Workflow(
    name="catalog.publication", model="catalog.Resource", state_field="status", label="目录审核",
    wrong_state_code="not_draft", pending_title=lambda r: f"审核发布:{r.code} {r.name}",
    pending_link=lambda r: reverse("catalog:detail", args=[r.code]),
    transitions=[
        workflow.Transition(
            name="submit", label="提交审核", source=(Status.DRAFT,), target=Status.DRAFT, permission="catalog.edit",
            may_act=_provider, denial="只有提供部门的数据联络员或部门管理员可以维护该资源",
            when=lambda r: not r.submitted_at, refusal="该资源已提交审核,请等待数据管理部门处理",
            refusal_code="already_submitted", audit_action="catalog.resource.submit",
            apply=lambda r, p, d: _services().submitted(r, p, d), pending=_bureau_staff),
        workflow.Transition(
            name="publish", label="审核通过并发布", source=(Status.DRAFT,), target=Status.PUBLISHED,
            permission="catalog.review", may_act=_bureau, denial=BUREAU_ONLY, fields=(("note", "发布说明"),),
            audit_action="catalog.resource.publish", apply=lambda r, p, d: _services().published(r, p, d),
            style="primary"),
        workflow.Transition(
            name="reject", label="退回修改", source=(Status.DRAFT,), target=Status.DRAFT, permission="catalog.review",
            may_act=_bureau, denial=BUREAU_ONLY, when=lambda r: bool(r.submitted_at),
            refusal="只有已提交审核的草稿可以退回", refusal_code="not_submitted",
            required=(("reason", "退回理由"),), missing_code="reason_required",
            audit_action="catalog.resource.reject", apply=lambda r, p, d: _services().rejected(r, p, d)),
    ],
)


def _not_retiring(resource: Resource) -> bool:
    return resource.retire_requested_at is None


RETIRING = "该资源已申请下线"
REASON = (("reason", "下线原因"),)

# Retirement (002 第十八条). The resource page offers it through a form of its own (the successor is a
# choice among resources), so the two transitions a person takes are not ``offered`` by the generic form.
RETIREMENT = workflow.Workflow(
    name="catalog.retirement", model="catalog.Resource", state_field="status", label="资源下线",
    wrong_state_code="not_published",
    transitions=[
        workflow.Transition(
            name="retire", label="下线", source=(Status.PUBLISHED,), target=Status.OFFLINE, permission="catalog.edit",
            may_act=_provider, denial="只有提供部门的数据联络员或部门管理员可以维护该资源", when=_not_retiring,
            refusal=RETIRING, refusal_code="already_retiring", required=REASON, missing_code="reason_required",
            audit_action="catalog.resource.retire", apply=lambda r, p, d: _services().retired(r, p, d),
            offered=False, style="danger"),
        workflow.Transition(
            name="announce_retirement", label="申请下线(过渡期)", source=(Status.PUBLISHED,),
            target=Status.PUBLISHED, permission="catalog.edit", may_act=_provider,
            denial="只有提供部门的数据联络员或部门管理员可以维护该资源", when=_not_retiring, refusal=RETIRING,
            refusal_code="already_retiring", required=REASON + (("successor", "替代资源"),),
            missing_code="reason_required", audit_action="catalog.resource.retire",
            apply=lambda r, p, d: _services().retirement_announced(r, p, d), offered=False),
        workflow.Transition(
            name="complete_retirement", label="过渡期满下线", source=(Status.PUBLISHED,), target=Status.OFFLINE,
            permission="catalog.edit", automatic=True,
            when=lambda r: r.retire_requested_at is not None and r.successor_id is not None,
            refusal="该资源没有在过渡期内的下线申请", refusal_code="not_retiring",
            audit_action="catalog.resource.offline", apply=lambda r, p, d: _services().retirement_completed(r, p, d)),
    ],
)


def _demand_owner(principal: Principal, demand) -> bool:
    return _services().is_bureau(principal) or (
        principal.department_id is not None and principal.department_id == demand.requester_id)


def _unmet_for_bureau(principal: Principal) -> Q | None:
    """Open demands wait for the data bureau's staff, who find or ask for a resource that meets them."""
    department = principal.department
    if department is None or not department.is_data_bureau or not principal.roles & STAFF_ROLES:
        return None
    from regshare.core.permissions import has_perm

    return Q() if has_perm(principal, "catalog.review") else None


DEMAND_OWNER = "只有需求部门或数据管理部门可以处理该需求"

# Demands (需求清单). Matching names a published resource, a choice the demands page offers with a form
# of its own, so ``match`` is not offered by the generic form.
DEMAND = workflow.Workflow(
    name="catalog.demand", model="catalog.Demand", state_field="status", label="需求清单",
    initial=DemandStatus.OPEN, initial_pending=_unmet_for_bureau, wrong_state_code="not_open",
    pending_title=lambda d: f"未满足的数据需求:{d.title}({d.requester.name})",
    pending_link=lambda d: reverse("catalog:demands") + "?status=open", pending_related=("requester",),
    transitions=[
        workflow.Transition(
            name="match", label="匹配数据资源", source=(DemandStatus.OPEN,), target=DemandStatus.MATCHED,
            permission="catalog.demand", may_act=_demand_owner, denial=DEMAND_OWNER,
            required=(("resource", "匹配的数据资源"),), fields=(("note", "说明"),), missing_code="resource_required",
            audit_action="catalog.demand.match", apply=lambda d, p, data: _services().demand_matched(d, p, data),
            notify=lambda d, p, data: _services().notify_demand_matched(d), offered=False),
        workflow.Transition(
            name="close", label="关闭需求", source=(DemandStatus.OPEN, DemandStatus.MATCHED),
            target=DemandStatus.CLOSED, permission="catalog.demand", may_act=_demand_owner, denial=DEMAND_OWNER,
            required=(("note", "关闭理由"),), missing_code="note_required", audit_action="catalog.demand.close",
            apply=lambda d, p, data: _services().demand_closed(d, p, data)),
    ],
)


def register() -> None:
    workflow.register(PUBLICATION)
    workflow.register(RETIREMENT)
    workflow.register(DEMAND)
