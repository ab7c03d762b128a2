"""Dashboard pending items of the exchange: review steps, corrections to answer, destructions to record."""

from __future__ import annotations

from regshare.core.dashboard import PendingItem
from regshare.core.permissions import Principal, has_perm


def pending_items(principal: Principal) -> list[PendingItem]:
    from .models import Correction, CorrectionStatus, Grant, GrantStatus
    from .services import review_queue, today

    if principal.user is None or principal.department is None:
        return []
    on = today()
    items: list[PendingItem] = []
    if has_perm(principal, "exchange.review"):
        for step in review_queue(principal):
            items.append(PendingItem("共享审核", f"{step.get_stage_display()}:{step.application.number} "
                                             f"{step.application.resource.name}",
                                     f"/exchange/applications/{step.application_id}/", step.deadline.isoformat(),
                                     step.deadline < on))
    if has_perm(principal, "exchange.provide"):
        for correction in Correction.objects.filter(status=CorrectionStatus.OPEN,
                                                    resource__provider=principal.department).select_related("resource"):
            items.append(PendingItem("数据纠错", f"校核 {correction.resource.name} 的 {correction.field}",
                                     f"/exchange/corrections/{correction.pk}/", correction.deadline.isoformat(),
                                     correction.deadline < on))
    if has_perm(principal, "exchange.destroy"):
        for grant in Grant.objects.filter(consumer=principal.department, destructions__isnull=True).exclude(
                status=GrantStatus.ACTIVE).select_related("resource"):
            items.append(PendingItem("销毁登记", f"授权已终止,请登记 {grant.resource.name} 副本的销毁",
                                     f"/exchange/grants/{grant.pk}/"))
    return items
