"""The alert workflow: dispatched → verified → acted → closed (or dismissed on verification). Closing and
dismissing record whether the alert proved true: the feedback the next training takes as a label."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from regshare.core import workflow
from regshare.core.clock import today
from regshare.core.permissions import Principal, has_perm


def _own_department(principal: Principal, alert) -> bool:
    return principal.department_id is not None and principal.department_id == alert.department_id


def _handlers(principal: Principal) -> Q | None:
    if not has_perm(principal, "risk.handle") or principal.department_id is None:
        return None
    return Q(department_id=principal.department_id)


def _days(name: str, default: int):
    return lambda: int(getattr(settings, name, default))


def _verified(alert, principal, data) -> dict:
    alert.verification = data["verification"]
    return {"verification": data["verification"]}


def _dismissed(alert, principal, data) -> dict:
    alert.verification = data["verification"]
    alert.confirmed = False
    alert.closed_on = data.get("on") or today()
    alert.deadline = None
    return {"verification": data["verification"], "confirmed": False}


def _acted(alert, principal, data) -> dict:
    alert.action_taken = data["action_taken"]
    return {"action_taken": data["action_taken"]}


def _closed(alert, principal, data) -> dict:
    alert.feedback = data["feedback"]
    alert.confirmed = True
    alert.closed_on = data.get("on") or today()
    alert.deadline = None
    return {"feedback": data["feedback"], "confirmed": True}


ALERT = workflow.Workflow(
    name="risk.alert", model="risk.Alert", state_field="status", deadline_field="deadline", label="风险预警",
    initial="dispatched", initial_pending=_handlers,
    pending_title=lambda a: f"核实风险预警:{a.entity.name}", pending_link=lambda a: f"/risk/alerts/{a.pk}/",
    pending_related=("entity",),
    transitions=[
        workflow.Transition(
            name="verify", label="核实属实", source=("dispatched",), target="verified", permission="risk.handle",
            may_act=_own_department, denial="只有预警分派到的部门可以核实", apply=_verified,
            required=(("verification", "核实情况"),), missing_code="verification_required",
            deadline_workdays=_days("RISK_ACT_WORKDAYS", 10), audit_action="risk.alert.verified",
            pending=_handlers, style="primary"),
        workflow.Transition(
            name="dismiss", label="核实排除", source=("dispatched",), target="dismissed", permission="risk.handle",
            may_act=_own_department, denial="只有预警分派到的部门可以核实", apply=_dismissed,
            required=(("verification", "核实情况"),), missing_code="verification_required",
            audit_action="risk.alert.dismissed", style="danger", confirm="确认该预警经核实不属实?"),
        workflow.Transition(
            name="act", label="登记处置", source=("verified",), target="acted", permission="risk.handle",
            may_act=_own_department, denial="只有预警分派到的部门可以处置", apply=_acted,
            required=(("action_taken", "处置措施"),), missing_code="action_required",
            deadline_workdays=_days("RISK_CLOSE_WORKDAYS", 5), audit_action="risk.alert.acted", pending=_handlers),
        workflow.Transition(
            name="close", label="办结反馈", source=("acted",), target="closed", permission="risk.handle",
            may_act=_own_department, denial="只有预警分派到的部门可以办结", apply=_closed,
            required=(("feedback", "办结反馈"),), missing_code="feedback_required",
            audit_action="risk.alert.closed", style="primary"),
    ],
)


def register() -> None:
    workflow.register(ALERT)
