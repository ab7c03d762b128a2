"""Pages of data provision: loads, upload, load progress, resource quality, the monthly duty."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from regshare.core.pages import page_of
from regshare.core.permissions import has_perm, is_data_bureau, page_permission, principal_of
from regshare.lake import tables

from . import services
from .forms import UploadForm
from .models import Load, LoadAttachment, LoadStatus


@page_permission("ingest.view")
def load_list(request):
    principal = principal_of(request)
    loads = Load.objects.visible_to(principal).filtered(request.GET)
    return render(request, "ingest/list.html", {"page": page_of(request, loads, 30),
                                                **Load.objects.filter_values(request.GET),
                                                "statuses": LoadStatus.choices,
                                                "can_upload": has_perm(principal, "ingest.upload")})


@page_permission("ingest.upload")
def upload(request):
    principal = principal_of(request)
    resources = services.resources_providable_by(principal)
    initial = {"resource": request.GET.get("resource")} if request.GET.get("resource") else None
    form = UploadForm(request.POST or None, request.FILES or None, resources=resources, initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            load = services.start_upload(principal, form.cleaned_data["resource"], request.FILES["file"],
                                         mode=form.cleaned_data["mode"],
                                         attachments=request.FILES.getlist("attachments"))
        except ValidationError as exc:
            error = ";".join(exc.messages)
        else:
            return redirect("ingest:load", load.pk)
    return render(request, "ingest/upload.html", {"form": form, "error": error, "has_resources": resources.exists()})


def _visible_load(request, load_id: int) -> Load:
    load = get_object_or_404(Load.objects.select_related("resource", "department", "created_by"), pk=load_id)
    services.check_can_view_load(principal_of(request), load)
    return load


@page_permission("ingest.view")
def load_detail(request, load_id: int):
    load = _visible_load(request, load_id)
    report = getattr(load, "quality", None) if load.is_finished else None
    return render(request, "ingest/load.html", {"load": load, "report": report,
                                                "attachments": load.attachments.all()})


@page_permission("ingest.view")
def load_progress(request, load_id: int):
    load = _visible_load(request, load_id)
    response = render(request, "ingest/_progress.html", {"load": load})
    if load.is_finished:
        response["HX-Refresh"] = "true"
    return response


@page_permission("ingest.view")
def rejects(request, load_id: int):
    load = _visible_load(request, load_id)
    try:
        body, name, content_type = services.rejects_download(principal_of(request), load,
                                                             request.GET.get("format", "csv"))
    except ValidationError as exc:
        return HttpResponse(";".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return response


@page_permission("ingest.view")
def attachment(request, load_id: int, attachment_id: int):
    load = _visible_load(request, load_id)
    item = get_object_or_404(LoadAttachment, pk=attachment_id, load=load)
    path = Path(item.stored_path)
    if not path.exists():
        raise Http404("附件文件已不存在")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=item.name)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@page_permission("ingest.view")
def resource_quality(request, code: str):
    principal = principal_of(request)
    resource = services.visible_resource(principal, code)
    series = services.quality_series(resource)
    loads = Load.objects.visible_to(principal).filter(resource=resource)
    history = tables.history(resource.code)[:20] if tables.exists(resource.code) else []
    can_provide = True
    try:
        services.check_can_provide(principal, resource)
    except PermissionDenied:
        can_provide = False
    source = getattr(resource, "pull_source", None) if hasattr(resource, "pull_source") else None
    return render(request, "ingest/resource.html", {
        "resource": resource, "series_json": json.dumps(series, ensure_ascii=False), "series": series,
        "current": services.resource_quality(resource), "page": page_of(request, loads, 20), "history": history,
        "can_provide": can_provide, "source": source,
        "source_url": services.sources.redact(source.url) if source else "",
    })


@require_POST
@page_permission("ingest.upload")
def pull_now(request, code: str):
    resource = services.visible_resource(principal_of(request), code)
    try:
        result = services.pull(principal_of(request), resource)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        return redirect("ingest:resource", code)
    (messages.success if result.accepted else messages.error)(request, result.message)
    return redirect("ingest:load", result.load.pk)


@page_permission("ingest.duty.view")
def duty(request):
    principal = principal_of(request)
    today = timezone.localdate()
    try:
        period = services.parse_period(request.GET["period"]) if request.GET.get("period") else \
            services.previous_month(today)
    except ValidationError:
        period = services.previous_month(today)
    department = None if is_data_bureau(principal) else principal.department
    rows = services.duty_status(period, today, department=department) if (department or is_data_bureau(principal)) \
        else []
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    if status:
        rows = [r for r in rows if r.status == status]
    if q:
        rows = [r for r in rows if q in r.resource.name or q in r.resource.code or q in r.resource.provider.name]
    months = [services.previous_month(today)]
    for _ in range(11):
        months.append(services.previous_month(months[-1]))
    return render(request, "ingest/duty.html", {
        "page": page_of(request, rows, 50), "period": period, "months": months, "status": status, "q": q,
        "labels": services.DUTY_LABELS, "is_bureau": is_data_bureau(principal),
        "can_report": has_perm(principal, "ingest.upload"),
        "own_department_id": principal.department.pk if principal.department else None,
        "late_count": sum(1 for r in rows if r.is_problem),
    })


@require_POST
@page_permission("ingest.upload")
def zero_report(request):
    resource = services.visible_resource(principal_of(request), request.POST.get("resource", ""))
    period = request.POST.get("period", "")
    try:
        services.record_zero_report(principal_of(request), resource, period, request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, f"已报送 {resource.name} {period} 零报告")
    return redirect(f"{_duty_url()}?period={period[:7]}")


def _duty_url() -> str:
    from django.urls import reverse

    return reverse("ingest:duty")
