"""Review steps past their working-day deadline."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from regshare.core import audit
from regshare.core import services as core
from regshare.core.clock import today

from ..models import Decision, ReviewStep


def flag_overdue(on: dt.date | None = None) -> int:
    """Flag each overdue step and correction once, to its handler, the data bureau and the dashboard."""
    from ..models import Correction, CorrectionStatus

    on = on or today()
    count = 0
    for step in (ReviewStep.objects.filter(decision=Decision.PENDING, deadline__lt=on, overdue_flagged_on__isnull=True)
                 .select_related("application", "department")):
        with transaction.atomic():
            step.overdue_flagged_on = on
            step.save(update_fields=["overdue_flagged_on"])
            title = f"审核超期:{step.application.number}({step.get_stage_display()},期限 {step.deadline})"
            link = f"/exchange/applications/{step.application_id}/"
            core.notify_department(step.department, "exchange.overdue", title, "", link)
            if not step.department.is_data_bureau:
                core.notify_data_bureau("exchange.overdue", title, f"办理部门:{step.department.name}", link)
            audit.record("system", "exchange.review.overdue", step.application,
                         {"stage": step.stage, "deadline": step.deadline})
        count += 1
    for correction in Correction.objects.filter(status=CorrectionStatus.OPEN, deadline__lt=on,
                                                overdue_flagged_on__isnull=True).select_related("resource"):
        with transaction.atomic():
            correction.overdue_flagged_on = on
            correction.save(update_fields=["overdue_flagged_on"])
            title = f"纠错校核超期:{correction.resource.code} #{correction.pk}(期限 {correction.deadline})"
            core.notify_department(correction.resource.provider, "exchange.overdue", title, "",
                                   f"/exchange/corrections/{correction.pk}/")
            core.notify_data_bureau("exchange.overdue", title, "", f"/exchange/corrections/{correction.pk}/")
            audit.record("system", "exchange.correction.overdue", correction, {"deadline": correction.deadline})
        count += 1
    return count
