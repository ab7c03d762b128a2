"""The security incident's states as a declared workflow: reported to both levels → handling → closed.

The services keep their own checks of what a report or a closing needs (recipients, handling steps, channels
cut); the state changes, their permission, who may act and the audit record go through ``core.workflow``.
"""
from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from regshare.core import workflow
from regshare.core.permissions import Principal, has_perm, is_data_bureau

from .models import IncidentStatus


def _registering_department_or_bureau(principal: Principal, incident) -> bool:
    return is_data_bureau(principal) or (principal.department_id is not None
                                         and principal.department_id == incident.department_id)


def _reviewer_not_registrant(principal: Principal, incident) -> bool:
    return is_data_bureau(principal) and principal.user is not None and principal.user.pk != incident.registered_by_id


def _handlers(principal: Principal) -> Q | None:
    """An open incident waits for its registering department, and for the data bureau."""
    if principal.user is None or principal.department_id is None or not has_perm(principal, "incidents.handle"):
        return None
    return Q() if is_data_bureau(principal) else Q(department_id=principal.department_id)


def _closed(incident, principal: Principal, data: dict) -> dict:
    incident.closed_at, incident.closed_by = data.get("now") or timezone.now(), principal.user
    incident.closing_review = data["review"]
    return {"review": data["review"]}


REPORTED = workflow.Transition(
    name="reported", label="报告完成,转入处置", source=(IncidentStatus.REPORTING,), target=IncidentStatus.HANDLING,
    permission="incidents.handle", may_act=_registering_department_or_bureau,
    denial="只有登记部门或数据管理部门可以报告该事件",
    when=lambda incident: bool(incident.bureau_reported_at and incident.upward_reported_at),
    refusal="事件尚未完成报告(报告区数据管理局和向上级报告)", refusal_code="not_reported",
    audit_action="incidents.handling", pending=_handlers, offered=False)

CLOSE = workflow.Transition(
    name="close", label="结案复核", source=(IncidentStatus.HANDLING,), target=IncidentStatus.CLOSED,
    permission="incidents.close", may_act=_reviewer_not_registrant,
    denial="结案复核须由数据管理部门登记人以外的人员办理", required=(("review", "复核意见"),),
    missing_code="review_required", apply=_closed, audit_action="incidents.close", offered=False)

INCIDENT = workflow.Workflow(
    name="incidents.incident", model="incidents.Incident", state_field="status", label="安全事件",
    initial=IncidentStatus.REPORTING, initial_pending=_handlers, pending_deadline="report_deadline",
    pending_title=lambda i: f"{i.get_grade_display()}:{i.number} {i.title}({i.get_status_display()})",
    pending_link=lambda i: f"/incidents/{i.pk}/", transitions=[REPORTED, CLOSE])


def register() -> None:
    workflow.register(INCIDENT)
