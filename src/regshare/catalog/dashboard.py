"""Dashboard reminders of the catalog that are no workflow step: update duties (002 第八条), an obligation
with a due date rather than an object waiting in a state.

Drafts waiting for review and unmet demands reach the to-do list through their workflows (``flows``).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from regshare.core.permissions import Principal, has_perm
from regshare.core.workflow import PendingItem

from .flows import STAFF_ROLES
from .models import UpdateObligation


def pending_items(principal: Principal) -> list[PendingItem]:
    if principal.user is None or not has_perm(principal, "catalog.view"):
        return []
    items: list[PendingItem] = []
    today = timezone.localdate()
    obligations = UpdateObligation.objects.filter(fulfilled_at__isnull=True).select_related("department")
    bureau_staff = (principal.department is not None and principal.department.is_data_bureau
                    and bool(principal.roles & STAFF_ROLES))
    if bureau_staff and has_perm(principal, "catalog.review"):
        for obligation in obligations.filter(due_date__lt=today)[:20]:
            items.append(PendingItem("目录更新", f"{obligation.department.name}目录更新逾期",
                                     reverse("catalog:obligations"), str(obligation.due_date), True))
    elif has_perm(principal, "catalog.obligation") and principal.department is not None:
        for obligation in obligations.filter(department=principal.department):
            items.append(PendingItem("目录更新", f"更新本部门数据资源目录({obligation.get_reason_display()})",
                                     reverse("catalog:obligations"), str(obligation.due_date),
                                     obligation.due_date < today))
    return items
