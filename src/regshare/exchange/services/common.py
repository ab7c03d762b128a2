"""Review deadlines read from settings, and the helpers every exchange service shares."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from regshare.core import workdays
from regshare.core.clock import today
from regshare.core.models import Department
from regshare.core.permissions import Principal

from ..models import Grant, GrantStatus


def platform_review_days() -> int:
    return int(getattr(settings, "REGSHARE_PLATFORM_REVIEW_DAYS", 2))


def provider_review_days() -> int:
    return int(getattr(settings, "REGSHARE_PROVIDER_REVIEW_DAYS", 5))


def negotiation_days() -> int:
    return int(getattr(settings, "REGSHARE_NEGOTIATION_DAYS", 10))


def coordination_days() -> int:
    return int(getattr(settings, "REGSHARE_COORDINATION_DAYS", 10))


def correction_days() -> int:
    return int(getattr(settings, "REGSHARE_CORRECTION_DAYS", 5))


MAX_APPROVAL_BYTES = 20 * 1024 * 1024
APPROVAL_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".ofd", ".doc", ".docx")


def _deadline(start: dt.date, days: int) -> dt.date:
    try:
        return workdays.add_workdays(start, days)
    except workdays.CalendarYearUnknown as exc:
        raise ValidationError(str(exc), code="calendar_year_unknown") from exc


def data_bureau() -> Department:
    bureau = Department.objects.filter(is_data_bureau=True, active=True).order_by("pk").first()
    if bureau is None:
        raise ValidationError("尚未设置数据管理部门,无法受理共享申请", code="no_data_bureau")
    return bureau


def _department_of(principal: Principal) -> Department:
    if principal.department is None:
        raise PermissionDenied("您尚未分配部门,不能办理共享业务")
    return principal.department


def grant_is_live(grant: Grant, on: dt.date | None = None) -> bool:
    on = on or today()
    return grant.status == GrantStatus.ACTIVE and grant.starts_on <= on <= grant.expires_on
