"""Dashboard reminders of the exchange that are no workflow step: copies to destroy after a grant ended.

Review steps and corrections reach the to-do list through their workflows (``flows``).
"""

from __future__ import annotations

from regshare.core.permissions import Principal, has_perm
from regshare.core.workflow import PendingItem


def pending_items(principal: Principal) -> list[PendingItem]:
    from .models import Grant, GrantStatus

    if principal.user is None or principal.department is None or not has_perm(principal, "exchange.destroy"):
        return []
    return [PendingItem("销毁登记", f"授权已终止,请登记 {grant.resource.name} 副本的销毁", f"/exchange/grants/{grant.pk}/")
            for grant in Grant.objects.filter(consumer=principal.department, destructions__isnull=True)
            .exclude(status=GrantStatus.ACTIVE).select_related("resource")]
