from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from . import audit, services, workdays
from .auth import allow
from .models import ApiToken, AuditRecord, Department
from .pagination import PageNumberPagination, paginate
from .permissions import AUTHENTICATED, PUBLIC, principal_of
from .schemas import (
    AddWorkdaysOut,
    AuditRecordOut,
    AuditVerifyOut,
    CountOut,
    DepartmentOut,
    MarkReadIn,
    MeOut,
    NotificationOut,
    TokenIn,
    TokenIssuedOut,
    TokenOut,
    WorkdayOut,
)

router = Router(tags=["core"])


@router.get("/health", summary="健康检查", auth=allow(PUBLIC))
def health(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": connection.vendor}


@router.get("/me", response=MeOut, summary="当前身份", auth=allow(AUTHENTICATED))
def me(request):
    principal = principal_of(request)
    if principal.token is not None:
        return {"kind": "system", "name": principal.token.name, "department": principal.department,
                "roles": [], "scopes": principal.token.scopes}
    return {"kind": "person", "name": str(principal.user), "department": principal.department,
            "roles": sorted(principal.roles), "scopes": []}


@router.get("/departments", response=list[DepartmentOut], summary="部门目录", auth=allow("departments.view"))
@paginate(PageNumberPagination, page_size=50)
def list_departments(request, q: str = ""):
    departments = Department.objects.filter(active=True)
    if q:
        departments = departments.filter(name__icontains=q)
    return departments


@router.get("/notifications", response=list[NotificationOut], summary="我的通知", auth=allow("notifications.view"))
@paginate(PageNumberPagination, page_size=20)
def list_notifications(request, unread: bool = False):
    items = services.inbox_of(principal_of(request))
    return items.filter(is_read=False) if unread else items


@router.post("/notifications/read", response=CountOut, summary="标记已读", auth=allow("notifications.view"))
def mark_notifications_read(request, payload: MarkReadIn):
    return {"count": services.mark_read_by(principal_of(request), payload.ids)}


@router.get("/workdays/is", response=WorkdayOut, summary="是否工作日", auth=allow("calendar.view"))
def workday_is(request, date: dt.date):
    try:
        return {"date": date, "is_workday": workdays.is_workday(date)}
    except workdays.CalendarYearUnknown as exc:
        raise ValidationError(str(exc), code="calendar_year_unknown") from exc


@router.get("/workdays/add", response=AddWorkdaysOut, summary="加若干工作日", auth=allow("calendar.view"))
def workday_add(request, start: dt.date, days: int):
    if not 0 <= days <= 3650:
        raise ValidationError("工作日天数须在 0 到 3650 之间", code="invalid_days")
    try:
        return {"start": start, "days": days, "result": workdays.add_workdays(start, days)}
    except workdays.CalendarYearUnknown as exc:
        raise ValidationError(str(exc), code="calendar_year_unknown") from exc


@router.get("/tokens", response=list[TokenOut], summary="接口令牌列表", auth=allow("tokens.manage"))
@paginate(PageNumberPagination, page_size=50)
def list_tokens(request):
    return ApiToken.objects.visible_to(principal_of(request))


@router.post("/tokens", response={201: TokenIssuedOut}, summary="签发接口令牌(密钥只显示一次)", auth=allow("tokens.manage"))
def create_token(request, payload: TokenIn):
    principal = principal_of(request)
    department = principal.department
    if payload.department_id is not None:
        department = get_object_or_404(Department, pk=payload.department_id)
    if department is None:
        raise ValidationError("请指定令牌所属部门")
    issued = services.issue_token(principal, department=department, name=payload.name, scopes=payload.scopes,
                                  days_valid=payload.days_valid)
    out = TokenOut.from_orm(issued.token).dict()
    return Status(201, {**out, "secret": issued.secret})


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="吊销接口令牌", auth=allow("tokens.manage"))
def revoke_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id)
    services.revoke_token(principal_of(request), token)
    token.refresh_from_db()
    return token


@router.get("/audit", response=list[AuditRecordOut], summary="审计日志", auth=allow("audit.view"))
@paginate(PageNumberPagination, page_size=50)
def list_audit(request, action: str = "", actor: str = ""):
    records = AuditRecord.objects.all()
    if action:
        records = records.filter(action__startswith=action)
    if actor:
        records = records.filter(actor__icontains=actor)
    return records


@router.get("/audit/verify", response=AuditVerifyOut, summary="校验审计链", auth=allow("audit.verify"))
def verify_audit(request):
    result = audit.verify()
    return {"ok": result.ok, "count": result.count, "broken_seq": result.broken_seq, "reason": result.reason}
