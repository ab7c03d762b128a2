"""Credit pages (thin): check, lists, 双公示, repair, memoranda, statistics, reports."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from regshare.core import audit, exports, workflow
from regshare.core.pages import page_of
from regshare.core.permissions import has_perm, page_permission, principal_of
from regshare.entities import services as entities

from . import reports, services
from .models import (
    CreditRecord,
    ListEntry,
    ListType,
    Memorandum,
    PublicityStatus,
    RecordKind,
    RepairApplication,
    RepairStatus,
    Scenario,
)


def _errors(exc: ValidationError) -> str:
    return ";".join(exc.messages)


@page_permission("credit.check")
def check(request):
    uscc = request.GET.get("uscc", "").strip()
    scenario = request.GET.get("scenario", "")
    result, error = None, ""
    if uscc and scenario:
        try:
            result = services.check(principal_of(request), uscc, scenario, request.GET.get("purpose", ""))
        except ValidationError as exc:
            error = _errors(exc)
        except Http404 as exc:
            error = str(exc)
        except audit.AuditUnavailable as exc:  # no answer without its audit record
            error = exc.message
    return render(request, "credit/check.html", {"uscc": uscc, "scenario": scenario, "scenarios": Scenario.choices,
                                                 "result": result, "error": error,
                                                 "purpose": request.GET.get("purpose", "")})


@page_permission("credit.view")
def index(request):
    """/credit/: those who may run credit checks land there, everyone else on the lists."""
    return redirect("credit:check" if has_perm(principal_of(request), "credit.check") else "credit:lists")


LIST_COLUMNS = [
    exports.Column("名单", lambda e: e.get_list_type_display()),
    exports.Column("统一社会信用代码", lambda e: e.entity.uscc),
    exports.Column("市场主体", lambda e: e.entity.name),
    exports.Column("列入事由", lambda e: e.get_cause_display()),
    exports.Column("事由说明", lambda e: e.cause_text),
    exports.Column("决定书文号", lambda e: e.decision_no),
    exports.Column("列入部门", lambda e: e.department.name),
    exports.Column("列入日期", lambda e: e.listed_on),
    exports.Column("移出日期", lambda e: e.removed_on),
    exports.Column("移出原因", lambda e: e.removal_reason),
]

# Personal fields of the records (the legal representative's name, the address) stay out of the file.
PUBLICITY_COLUMNS = [
    exports.Column("类别", lambda r: r.get_kind_display()),
    exports.Column("文书号", lambda r: r.doc_no),
    exports.Column("主体名称", lambda r: r.raw_name),
    exports.Column("统一社会信用代码", lambda r: r.raw_uscc),
    exports.Column("决定部门", lambda r: r.department.name),
    exports.Column("事项", lambda r: r.title),
    exports.Column("决定日期", lambda r: r.decided_on),
    exports.Column("应公示日期", lambda r: r.publish_due),
    exports.Column("公示日期", lambda r: r.published_on),
    exports.Column("公示截止", lambda r: r.publicity_until),
    exports.Column("公示状态", lambda r: r.get_publicity_display()),
]


@page_permission("credit.view")
def lists(request):
    list_type = request.GET.get("list_type", "")
    active = {"1": True, "0": False}.get(request.GET.get("active", ""))
    q = request.GET.get("q", "").strip()
    try:
        qs = services.list_query(list_type, active, q)
    except ValidationError:
        qs = services.list_query("", active, q)
    if request.GET.get("export") == "xlsx":
        return exports.xlsx_response(principal_of(request), "信用名单", "信用名单.xlsx", LIST_COLUMNS,
                                     qs.select_related("entity", "department"), {"filters": request.GET.dict()})
    page = page_of(request, qs, 20)
    return render(request, "credit/lists.html", {"page": page, "list_type": list_type, "q": q,
                                                 "active": request.GET.get("active", ""),
                                                 "list_types": ListType.choices})


@page_permission("credit.view")
def publicity(request):
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    if status == "late":
        qs = services.late_publications()
        if q:
            qs = qs.filter(raw_name__icontains=q)
    else:
        qs = services.record_query("", "", status if status in PublicityStatus.values else "", q).filter(
            kind__in=services.PUBLISHED_KINDS)
    principal = principal_of(request)
    if request.GET.get("export") == "xlsx":
        return exports.xlsx_response(principal, "双公示", "双公示.xlsx", PUBLICITY_COLUMNS,
                                     qs.order_by("-decided_on", "-id").select_related("department"),
                                     {"filters": request.GET.dict()})
    page = page_of(request, qs.order_by("-decided_on", "-id"), 20)
    for r in page:
        r.late = services.is_late(r)
        r.transitions = workflow.available(principal, r)
    return render(request, "credit/publicity.html", {
        "page": page, "status": status, "q": q, "statuses": PublicityStatus.choices,
        "summary": services.publicity_summary()})


@require_POST
@page_permission("credit.manage")
def publish(request, record_id: int):
    record = get_object_or_404(CreditRecord, pk=record_id)
    try:
        workflow.perform_posted(principal_of(request), record, request.POST)
        messages.success(request, f"已公示:{record.doc_no}")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect(reverse("credit:publicity") + "?status=pending")


@page_permission("credit.view")
def repairs(request):
    status = request.GET.get("status", "")
    qs = RepairApplication.objects.select_related("record", "record__entity")
    if status in RepairStatus.values:
        qs = qs.filter(status=status)
    page = page_of(request, qs, 20)
    principal = principal_of(request)
    for application in page:
        application.transitions = workflow.available(principal, application)
    return render(request, "credit/repairs.html", {"page": page, "status": status, "statuses": RepairStatus.choices})


@page_permission("credit.manage")
def repair_apply(request, record_id: int):
    record = get_object_or_404(CreditRecord, pk=record_id, kind=RecordKind.PENALTY)
    error = ""
    if request.method == "POST":
        try:
            services.apply_repair(principal_of(request), record, request.POST.get("applicant", ""),
                                  request.POST.get("reason", ""), request.POST.get("commitment") == "on")
        except ValidationError as exc:
            error = _errors(exc)
        else:
            messages.success(request, "信用修复申请已受理")
            return redirect("credit:repairs")
    return render(request, "credit/repair_apply.html", {"record": record, "error": error, "form": request.POST})


@require_POST
@page_permission("credit.repair")
def repair_decide(request, repair_id: int):
    application = get_object_or_404(RepairApplication, pk=repair_id)
    try:
        workflow.perform_posted(principal_of(request), application, request.POST)
        messages.success(request, "已作出信用修复决定")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("credit:repairs")


@page_permission("credit.view")
def memoranda(request):
    q = request.GET.get("q", "").strip()
    qs = Memorandum.objects.prefetch_related("measures")
    if q:
        qs = qs.filter(title__icontains=q)
    page = page_of(request, qs, 10)
    return render(request, "credit/memoranda.html", {"page": page, "q": q})


@page_permission("credit.stats")
def stats(request):
    return render(request, "credit/stats.html", {"stats": services.check_statistics(),
                                                 "publicity": services.publicity_summary()})


@page_permission("credit.report")
def report(request, uscc: str, fmt: str):
    try:
        entity = entities.get_entity(uscc)
        content, content_type, filename = reports.render(principal_of(request), entity, fmt)
    except ValidationError as exc:
        raise Http404(_errors(exc)) from exc
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    finished_download(request, response)
    return response


PROGRESS_TOKEN = re.compile(r"[a-z0-9]{8,32}")


def finished_download(request, response: HttpResponse) -> None:
    """A generated file tells the page that asked for it that it is ready: the page shows a progress bar
    while the report is built (static/regshare/forms.js, ``data-busy-text``) and takes it away when this
    cookie arrives with the file."""
    token = request.GET.get("progress", "")
    if PROGRESS_TOKEN.fullmatch(token):
        response.set_cookie(f"regshare_ready_{token}", "1", max_age=120, samesite="Strict")


def _posted_date(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationError(f"{label}格式应为 YYYY-MM-DD", code="bad_date") from None


@require_POST
@page_permission("credit.manage")
def list_add(request):
    """列入名单, posted from the lists page; the service checks the permission and the deciding department."""
    principal = principal_of(request)
    post = request.POST
    try:
        entity = entities.get_entity(post.get("uscc", ""))
        services.add_to_list(principal, entity, post.get("list_type", ""), post.get("cause", ""),
                             post.get("decision_no", ""), principal.department,
                             _posted_date(post.get("listed_on", ""), "列入日期"), post.get("cause_text", "").strip())
        messages.success(request, f"已将 {entity.name} 列入名单")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("credit:lists")


@require_POST
@page_permission("credit.manage")
def list_remove(request, entry_id: int):
    entry = get_object_or_404(ListEntry, pk=entry_id)
    try:
        services.remove_from_list(principal_of(request), entry,
                                  _posted_date(request.POST.get("removed_on", ""), "移出日期"),
                                  request.POST.get("reason", ""))
        messages.success(request, "已移出名单")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("credit:lists")
