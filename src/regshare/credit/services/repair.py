"""Credit repair (信用修复): applications and their decision."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from regshare.core import audit, workflow
from regshare.core.permissions import Principal, require
from regshare.core.workdays import add_workdays

from .. import rules
from ..models import CreditRecord, PublicityStatus, RecordKind, RepairApplication, RepairStatus
from .records import _today


def apply_repair(actor: Principal, record: CreditRecord, applicant: str, reason: str, commitment: bool,
                 today: dt.date | None = None) -> RepairApplication:
    """Accept a repair application (the deciding department's staff enter it); it waits in the repair workflow."""
    require(actor, "credit.manage")
    today = _today(today)
    if record.kind != RecordKind.PENALTY or record.publicity != PublicityStatus.PUBLISHED:
        raise ValidationError("只有公示中的行政处罚信息可以申请信用修复", code="not_repairable")
    if record.repair_from and today < record.repair_from:
        raise ValidationError(f"最短公示期未满,{record.repair_from:%Y年%m月%d日}起方可申请信用修复",
                              code="repair_too_early")
    if not (applicant or "").strip() or not (reason or "").strip():
        raise ValidationError("申请人和申请理由不能为空", code="repair_fields_required")
    if not commitment:
        raise ValidationError("申请信用修复须作出信用承诺", code="commitment_required")
    if record.repairs.filter(status=RepairStatus.SUBMITTED).exists():
        raise ValidationError("该记录已有待审核的修复申请", code="repair_pending")
    with transaction.atomic():
        application = RepairApplication.objects.create(
            record=record, applicant=applicant.strip(), reason=reason.strip(), commitment=True, submitted_on=today,
            due_on=add_workdays(today, rules.REPAIR_DECISION_WORKDAYS))
        audit.record(actor, "credit.repair_applied", application, {"record": record.doc_no})
    return application


def decide_repair(principal: Principal, application: RepairApplication, approve: bool, note: str = "",
                  today: dt.date | None = None) -> RepairApplication:
    return workflow.perform(principal, application, "approve" if approve else "reject", note=note or "",
                            on=_today(today))
