"""The public look-up (信用中国-style): what may be shown, list and record queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from regshare.core.codes import clean_uscc
from regshare.entities.models import Entity

from ..models import CreditRecord, ListEntry, ListType, PublicityStatus, RecordKind
from .records import _today


def public_records(entity: Entity, today: dt.date | None = None) -> QuerySet[CreditRecord]:
    """What the public sees: published licences and penalties inside their publicity period."""
    today = _today(today)
    return (entity.credit_records.filter(publicity=PublicityStatus.PUBLISHED)
            .filter(Q(publicity_until__isnull=True) | Q(publicity_until__gte=today))
            .select_related("department").order_by("-decided_on"))


def public_lists(entity: Entity) -> QuerySet[ListEntry]:
    return entity.list_entries.filter(removed_on__isnull=True).select_related("department")


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def list_query(list_type: str = "", active: bool | None = None, q: str = "") -> QuerySet[ListEntry]:
    qs = ListEntry.objects.select_related("entity", "department")
    if list_type:
        if list_type not in ListType.values:
            raise ValidationError(f"未知的名单类型: {list_type}", code="unknown_list")
        qs = qs.filter(list_type=list_type)
    if active is True:
        qs = qs.filter(removed_on__isnull=True)
    elif active is False:
        qs = qs.filter(removed_on__isnull=False)
    if q:
        qs = qs.filter(Q(entity__name__icontains=q) | Q(entity__uscc__startswith=clean_uscc(q))
                       | Q(decision_no__icontains=q))
    return qs.order_by("-listed_on", "-id")


def record_query(kind: str = "", uscc: str = "", publicity: str = "", q: str = "") -> QuerySet[CreditRecord]:
    qs = CreditRecord.objects.select_related("entity", "department")
    if kind:
        if kind not in RecordKind.values:
            raise ValidationError(f"未知的信用记录类别: {kind}", code="unknown_kind")
        qs = qs.filter(kind=kind)
    if uscc:
        qs = qs.filter(entity__uscc=clean_uscc(uscc))
    if publicity:
        if publicity not in PublicityStatus.values:
            raise ValidationError(f"未知的公示状态: {publicity}", code="unknown_publicity")
        qs = qs.filter(publicity=publicity)
    if q:
        qs = qs.filter(Q(raw_name__icontains=q) | Q(doc_no__icontains=q) | Q(title__icontains=q))
    return qs.order_by("-decided_on", "-id")
