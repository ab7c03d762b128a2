"""Catalog search and its filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from regshare.core.models import Department
from regshare.core.permissions import Principal

from .. import search as search_index
from ..models import Frequency, Grade, OpenType, Provision, Resource, ShareType, Status
from .access import sees_all

FILTER_CHOICES = {
    "share_type": ShareType, "open_type": OpenType, "grade": Grade, "update_frequency": Frequency,
    "provision": Provision, "status": Status,
}


def clean_filters(raw: dict[str, Any]) -> dict[str, str]:
    """Validated search filters; ``provider`` may be a department id or code."""
    filters: dict[str, str] = {}
    for key, choices in FILTER_CHOICES.items():
        value = raw.get(key)
        if value in (None, ""):
            continue
        if value not in choices.values:
            raise ValidationError(f"筛选条件 {key} 的取值「{value}」无效", code="invalid_filter")
        filters[key] = value
    provider = raw.get("provider")
    if provider not in (None, ""):
        department = Department.objects.filter(Q(code=str(provider)) | Q(pk=int(provider) if str(provider).isdigit()
                                                                           else None)).first()
        if department is None:
            raise ValidationError(f"提供部门「{provider}」不存在", code="invalid_filter")
        filters["provider"] = str(department.pk)
    return filters


class ResultList(Sequence):
    """Search hits as a lazy sequence of resources (a Django Paginator slices it)."""

    def __init__(self, ids, scores) -> None:
        self.ids = ids
        self.scores = scores

    def __len__(self) -> int:
        return len(self.ids)

    def count(self) -> int:  # type: ignore[override]
        return len(self.ids)

    def __getitem__(self, item):  # type: ignore[override]
        if isinstance(item, int):
            return self[item:item + 1][0]
        ids = [int(x) for x in self.ids[item]]
        scores = [float(x) for x in self.scores[item]]
        found = Resource.objects.select_related("provider").in_bulk(ids)
        out = []
        for rid, score in zip(ids, scores, strict=True):
            if rid in found:
                found[rid].score = round(score, 3)
                out.append(found[rid])
        return out


def search_resources(principal: Principal, query: str = "", filters: dict[str, Any] | None = None):
    """Resources the principal may see, matching the query (relevance first) or, without one, by code."""
    cleaned = clean_filters(filters or {})
    query = (query or "").strip()[:200]
    if query:
        department = principal.department
        hits = search_index.search(query, filters=cleaned, see_all=sees_all(principal),
                                   visible_department_id=department.pk if department else None)
        return ResultList(hits.ids, hits.scores)
    resources = Resource.objects.visible_to(principal)
    for key, value in cleaned.items():
        resources = resources.filter(**{"provider_id" if key == "provider" else key: value})
    return resources.order_by("code")
