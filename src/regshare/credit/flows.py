"""双公示 and 信用修复 as declared workflows: who may publish a record or decide a repair, and what it writes."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from regshare.core import workflow
from regshare.core.models import Role
from regshare.core.permissions import Principal, has_perm

from .models import CreditRecord, PublicityStatus, RepairApplication, RepairStatus


def _deciding_department(principal: Principal, department_id: int | None) -> bool:
    """The department that decided the record acts on it; the platform admin may stand in for any."""
    return Role.PLATFORM_ADMIN in principal.roles or (
        principal.department_id is not None and principal.department_id == department_id)


def _published(record: CreditRecord, principal: Principal, data: dict) -> dict:
    on = data["on"]
    record.published_on = on
    return {"published_on": on, "due": record.publish_due, "late": bool(record.publish_due and on > record.publish_due)}


def _late_for(principal: Principal) -> Q | None:
    if principal.department_id is None or not has_perm(principal, "credit.manage"):
        return None
    return Q(department_id=principal.department_id, publish_due__lt=timezone.localdate())


PUBLICITY = workflow.Workflow(
    name="credit.publicity", model="credit.CreditRecord", state_field="publicity", deadline_field="publish_due",
    label="双公示", initial=PublicityStatus.PENDING, initial_pending=_late_for, wrong_state_code="not_pending",
    pending_title=lambda r: f"超过7个工作日未公示:{r.doc_no} {r.raw_name}",
    pending_link=lambda r: reverse("credit:publicity") + "?status=late",
    transitions=[
        workflow.Transition(
            name="publish", label="登记公示", source=(PublicityStatus.PENDING,), target=PublicityStatus.PUBLISHED,
            permission="credit.manage", may_act=lambda p, r: _deciding_department(p, r.department_id),
            denial="只有作出决定的部门可以登记公示", audit_action="credit.published", apply=_published),
    ],
)


def _decide(approve: bool):
    def decide(application: RepairApplication, principal: Principal, data: dict) -> dict:
        on = data["on"]
        note = (data.get("note") or "").strip()
        application.decided_on, application.decided_by, application.decision_note = on, principal.user, note
        if approve:
            record = application.record
            record.publicity, record.repaired_on, record.publicity_until = PublicityStatus.REPAIRED, on, on
            record.save(update_fields=["publicity", "repaired_on", "publicity_until"])
        return {"record": application.record.doc_no, "note": data.get("note") or ""}

    return decide


def _repairs_for(principal: Principal) -> Q | None:
    if not has_perm(principal, "credit.repair"):
        return None
    if Role.PLATFORM_ADMIN in principal.roles:
        return Q()
    return Q(record__department_id=principal.department_id) if principal.department_id else None


def _repair_department(principal: Principal, application: RepairApplication) -> bool:
    return _deciding_department(principal, application.record.department_id)


REPAIR = workflow.Workflow(
    name="credit.repair", model="credit.RepairApplication", state_field="status", deadline_field="due_on",
    label="信用修复", initial=RepairStatus.SUBMITTED, initial_pending=_repairs_for, wrong_state_code="repair_decided",
    pending_title=lambda a: f"审核信用修复申请:{a.record.raw_name} {a.record.doc_no}",
    pending_link=lambda a: reverse("credit:repairs") + "?status=submitted", pending_related=("record",),
    transitions=[
        workflow.Transition(
            name="approve", label="准予修复", source=(RepairStatus.SUBMITTED,), target=RepairStatus.APPROVED,
            permission="credit.repair", may_act=_repair_department, denial="只有作出处罚决定的部门可以决定信用修复",
            audit_action="credit.repair_approved", apply=_decide(True), fields=(("note", "说明"),),
            style="primary"),
        workflow.Transition(
            name="reject", label="不予修复", source=(RepairStatus.SUBMITTED,), target=RepairStatus.REJECTED,
            permission="credit.repair", may_act=_repair_department, denial="只有作出处罚决定的部门可以决定信用修复",
            required=(("note", "不予修复的理由"),), missing_code="reason_required",
            audit_action="credit.repair_rejected", apply=_decide(False), style="danger"),
    ],
)


def register() -> None:
    workflow.register(PUBLICITY)
    workflow.register(REPAIR)
