"""One visibility rule per list model: ``Model.objects.visible_to(principal)`` (NetBox's ``restrict()``).

Every list page and API list starts from it, so a page and its API can never disagree on who sees which
rows. A list model's manager is ``SomeQuerySet.as_manager()`` with ``SomeQuerySet(VisibleQuerySet)``
overriding ``visible_to``; the rule lives next to the model, the permission check included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self

from django.db import models

from .filters import Filters

if TYPE_CHECKING:  # core.permissions imports core.models, which declare their querysets with this module
    from .permissions import Principal


class VisibleQuerySet(models.QuerySet):
    filters: Filters = Filters()

    def filtered(self, params: Mapping[str, Any]) -> Self:
        """The list's declared filters (``filters``) applied to ``params`` (``request.GET`` or the API's)."""
        return self.filters.apply(self, params)

    def filter_values(self, params: Mapping[str, Any]) -> dict[str, str]:
        """The cleaned value of each declared filter, for the page's search form."""
        return self.filters.values(params)

    def visible_to(self, principal: Principal) -> Self:
        """The rows ``principal`` may see in this list (raises ``PermissionDenied`` without the list's
        permission). Chains like any queryset method."""
        raise NotImplementedError(f"{self.model.__name__} declares no visibility rule")


def department_rows(queryset: models.QuerySet, principal: Principal, *fields: str) -> models.QuerySet:
    """Rows whose ``fields`` (any of them) name the principal's department; none without a department."""
    department = principal.department
    if department is None:
        return queryset.none()
    condition = models.Q()
    for name in fields:
        condition |= models.Q(**{name: department})
    return queryset.filter(condition)
