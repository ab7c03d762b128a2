"""Update duties (002 第八条): a change of duty opens an obligation to update the catalog."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from regshare.core import audit
from regshare.core import services as core_services
from regshare.core.models import Department
from regshare.core.permissions import Principal, require
from regshare.core.workdays import add_workdays

from ..models import UpdateObligation
from .access import is_bureau

UPDATE_DUTY_WORKDAYS = 15  # 002 第八条


def record_change_of_duty(actor: Principal, department: Department, reason: str, description: str,
                          changed_on: dt.date) -> UpdateObligation:
    """A change of law or duties starts a 15-working-day clock for the department's catalog update."""
    require(actor, "catalog.obligation")
    if not is_bureau(actor) and (actor.department is None or actor.department.pk != department.pk):
        raise PermissionDenied("只能登记本部门的职能或法规变化;其他部门由数据管理部门登记")
    if reason not in UpdateObligation.Reason.values:
        raise ValidationError("变化原因须为 duty(行政管理职能变化)或 law(法律法规修订)", code="invalid_reason")
    description = (description or "").strip()
    if not description:
        raise ValidationError("请说明发生了什么变化", code="description_required")
    if changed_on > timezone.localdate():
        raise ValidationError("变化发生日期不能晚于今天", code="future_date")
    due = add_workdays(changed_on, UPDATE_DUTY_WORKDAYS)
    with transaction.atomic():
        obligation = UpdateObligation.objects.create(department=department, reason=reason, description=description,
                                                     changed_on=changed_on, due_date=due, created_by=actor.user)
        core_services.notify_department(
            department, "catalog.obligation", f"请于 {due} 前更新本部门数据资源目录",
            f"{obligation.get_reason_display()}:{description}。按规定须在 {UPDATE_DUTY_WORKDAYS} 个工作日内更新目录。",
            reverse("catalog:obligations"))
        audit.record(actor, "catalog.obligation.create", obligation, {
            "department": department.code, "reason": reason, "changed_on": changed_on, "due_date": due})
    return obligation


def fulfil_obligation(actor: Principal, obligation: UpdateObligation, note: str) -> UpdateObligation:
    """The department confirms its catalog is up to date (or needs no change), with a note."""
    require(actor, "catalog.obligation")
    if not is_bureau(actor) and (actor.department is None or actor.department.pk != obligation.department_id):
        raise PermissionDenied("只能确认本部门的目录更新")
    if obligation.fulfilled_at:
        raise ValidationError("该目录更新事项已完成", code="already_fulfilled")
    note = (note or "").strip()
    if not note:
        raise ValidationError("请说明目录更新情况(如已更新哪些资源,或经核查无需调整的理由)", code="note_required")
    with transaction.atomic():
        obligation.fulfilled_at = timezone.now()
        obligation.fulfilled_note = note[:500]
        obligation.save(update_fields=["fulfilled_at", "fulfilled_note"])
        audit.record(actor, "catalog.obligation.fulfil", obligation, {"note": note})
    return obligation


def flag_overdue_obligations(today: dt.date | None = None) -> list[UpdateObligation]:
    """Notify the department and the data bureau once about each update duty past its deadline."""
    today = today or timezone.localdate()
    flagged = []
    for obligation in UpdateObligation.objects.filter(fulfilled_at__isnull=True, overdue_flagged_at__isnull=True,
                                                      due_date__lt=today).select_related("department"):
        with transaction.atomic():
            obligation.overdue_flagged_at = timezone.now()
            obligation.save(update_fields=["overdue_flagged_at"])
            title = f"{obligation.department.name}目录更新已逾期(期限 {obligation.due_date})"
            body = f"{obligation.get_reason_display()}:{obligation.description}"
            link = reverse("catalog:obligations")
            core_services.notify_department(obligation.department, "catalog.obligation.overdue", title, body, link)
            core_services.notify_data_bureau("catalog.obligation.overdue", title, body, link)
            audit.record("system", "catalog.obligation.overdue", obligation, {"due_date": obligation.due_date})
        flagged.append(obligation)
    return flagged
