"""Provision API: upload a file, follow a load, download its problem rows, quality, pulls, monthly duty."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Form, Router, UploadedFile

from regshare.core.auth import allow
from regshare.core.pagination import PageNumberPagination, paginate
from regshare.core.permissions import is_data_bureau, principal_of

from . import services
from .models import Load
from .schemas import DutyRowOut, LoadOut, MonthlyReportOut, QualityOut, SourceIn, SourceOut, ZeroReportIn

router = Router(tags=["ingest"])


def _load(request, load_id: int) -> Load:
    load = get_object_or_404(Load.objects.select_related("resource"), pk=load_id)
    services.check_can_view_load(principal_of(request), load)
    try:
        load.quality  # noqa: B018  (prefetch the one-to-one for the schema)
    except ObjectDoesNotExist:
        pass
    return load


@router.get("/loads", response=list[LoadOut], summary="归集记录", auth=allow("ingest.view"))
@paginate(PageNumberPagination, page_size=50)
def list_loads(request, q: str = "", status: str = "", resource: str = ""):
    params = {"q": q, "status": status, "resource": resource}
    return Load.objects.visible_to(principal_of(request)).filtered(params).select_related("quality")


@router.get("/loads/{load_id}", response=LoadOut, summary="一次归集的结果与进度", auth=allow("ingest.view"))
def get_load(request, load_id: int):
    return _load(request, load_id)


@router.post("/resources/{code}/loads", response={201: LoadOut}, summary="上传数据文件(后台归集)",
             auth=allow("ingest.upload"))
def upload(request, code: str, file: File[UploadedFile], mode: Form[str] = "replace"):
    resource = services.visible_resource(principal_of(request), code)
    load = services.start_upload(principal_of(request), resource, file, mode=mode)
    return 201, _load(request, load.pk)


@router.get("/loads/{load_id}/rejects", summary="下载问题数据(CSV/XLSX)", auth=allow("ingest.view"))
def rejects(request, load_id: int, format: str = "csv"):
    load = _load(request, load_id)
    body, name, content_type = services.rejects_download(principal_of(request), load, format)
    from urllib.parse import quote

    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@router.get("/resources/{code}/quality", response=QualityOut, summary="资源质量及变化", auth=allow("ingest.view"))
def quality(request, code: str):
    resource = services.visible_resource(principal_of(request), code)
    current = services.resource_quality(resource)
    if "as_of" in current:
        current["as_of"] = current["as_of"].isoformat()
    return {"resource": resource.code, "current": current, "series": services.quality_series(resource)}


@router.put("/resources/{code}/source", response=SourceOut, summary="设置库表对接或接口拉取来源",
            auth=allow("ingest.upload"))
def set_source(request, code: str, payload: SourceIn):
    resource = services.visible_resource(principal_of(request), code)
    if not 1 <= payload.page_size <= 10_000:
        from django.core.exceptions import ValidationError

        raise ValidationError("每页条数须在 1 到 10000 之间", code="bad_page_size")
    source = services.save_source(principal_of(request), resource, **payload.dict())
    return {"resource": resource.code, "kind": source.kind, "url": services.sources.redact(source.url),
            "table": source.table, "db_schema": source.db_schema, "watermark_column": source.watermark_column,
            "watermark_value": source.watermark_value, "enabled": source.enabled,
            "last_pulled_at": source.last_pulled_at}


@router.post("/resources/{code}/pull", response=LoadOut, summary="立即从库表或接口拉取", auth=allow("ingest.upload"))
def pull(request, code: str):
    resource = services.visible_resource(principal_of(request), code)
    result = services.pull(principal_of(request), resource)
    return _load(request, result.load.pk)


@router.post("/resources/{code}/zero-report", response={201: MonthlyReportOut}, summary="报送零报告",
             auth=allow("ingest.upload"))
def zero_report(request, code: str, payload: ZeroReportIn):
    resource = services.visible_resource(principal_of(request), code)
    report = services.record_zero_report(principal_of(request), resource, payload.period, payload.note)
    return 201, {"resource": resource.code, "period": report.period, "kind": report.kind,
                 "due_date": report.due_date, "submitted_at": report.submitted_at}


@router.get("/duty", response=list[DutyRowOut], summary="月度报送情况", auth=allow("ingest.duty.view"))
@paginate(PageNumberPagination, page_size=100)
def duty(request, period: str = ""):
    principal = principal_of(request)
    today = timezone.localdate()
    month = services.parse_period(period) if period else services.previous_month(today)
    if is_data_bureau(principal):
        rows = services.duty_status(month, today)
    elif principal.department is not None:
        rows = services.duty_status(month, today, department=principal.department)
    else:
        rows = []
    return [{"resource": r.resource.code, "resource_name": r.resource.name, "department": r.resource.provider.name,
             "period": r.period, "due": r.due, "status": r.status, "label": r.label,
             "submitted_at": r.report.submitted_at if r.report else None} for r in rows]
