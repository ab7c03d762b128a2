"""Catalog API (/api/v1/catalog): resources, search, review, retirement, demands, duties, spreadsheets, DCAT."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Status, UploadedFile

from regshare.core.auth import allow
from regshare.core.models import Department
from regshare.core.pagination import PageNumberPagination, paginate
from regshare.core.permissions import principal_of

from . import services, transfer
from .models import Demand, Resource, UpdateObligation
from .schemas import (
    DemandDetailOut,
    DemandIn,
    DemandOut,
    ImportOut,
    MatchIn,
    NoteIn,
    ObligationIn,
    ObligationOut,
    ReasonIn,
    ResourceBrief,
    ResourceIn,
    ResourceOut,
    RetireIn,
    VersionOut,
)

router = Router(tags=["catalog"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _department(code: str) -> Department:
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise ValidationError(f"部门 {code} 不存在", code="unknown_department")
    return department


def _resource(code: str) -> Resource:
    resource = Resource.objects.filter(code=code).first()
    if resource is None:
        raise ValidationError(f"数据资源 {code} 不存在", code="unknown_resource")
    return resource


def _payload(payload: ResourceIn) -> tuple[dict, list | None, str]:
    raw = payload.dict(exclude_unset=True)
    fields = raw.pop("fields", None)
    note = raw.pop("note", "")
    data = {k: v for k, v in raw.items() if v is not None or k == "successor"}
    if "provider" in data:
        data["provider"] = _department(data["provider"])
    if "dedicated_departments" in data:
        data["dedicated_departments"] = [_department(c) for c in data["dedicated_departments"] or []]
    if "related" in data:
        data["related"] = [_resource(c) for c in data["related"] or []]
    if "successor" in data:
        data["successor"] = _resource(data["successor"]) if data["successor"] else None
    return data, fields, note


def _filters(provider, share_type, open_type, grade, update_frequency, provision, status) -> dict:
    return {"provider": provider, "share_type": share_type, "open_type": open_type, "grade": grade,
            "update_frequency": update_frequency, "provision": provision, "status": status}


@router.get("/resources", response=list[ResourceBrief], summary="数据资源列表(可检索、筛选)",
            auth=allow("catalog.view"))
@paginate(PageNumberPagination, page_size=20)
def list_resources(request, q: str = "", provider: str = "", share_type: str = "", open_type: str = "",
                   grade: str = "", update_frequency: str = "", provision: str = "", status: str = ""):
    return services.search_resources(principal_of(request), q, _filters(
        provider, share_type, open_type, grade, update_frequency, provision, status))


@router.get("/search", response=list[ResourceBrief], summary="中文检索(按相关度排序)", auth=allow("catalog.view"))
@paginate(PageNumberPagination, page_size=20)
def search(request, q: str, provider: str = "", share_type: str = "", open_type: str = "", grade: str = "",
           update_frequency: str = "", provision: str = "", status: str = ""):
    if not q.strip():
        raise ValidationError("请输入检索词", code="query_required")
    return services.search_resources(principal_of(request), q, _filters(
        provider, share_type, open_type, grade, update_frequency, provision, status))


@router.post("/resources", response={201: ResourceOut}, summary="登记数据资源(草稿)", auth=allow("catalog.edit"))
def create_resource(request, payload: ResourceIn):
    data, fields, _note = _payload(payload)
    resource = services.create_resource(principal_of(request), data, [f for f in fields or []])
    return Status(201, resource)


@router.get("/resources/{code}", response=ResourceOut, summary="数据资源详情", auth=allow("catalog.view"))
def get_resource(request, code: str):
    return services.get_visible(principal_of(request), code)


@router.patch("/resources/{code}", response=ResourceOut, summary="修改数据资源", auth=allow("catalog.edit"))
def update_resource(request, code: str, payload: ResourceIn):
    resource = services.get_visible(principal_of(request), code)
    data, fields, note = _payload(payload)
    return services.update_resource(principal_of(request), resource, data, fields, note)


@router.put("/resources/{code}", response=ResourceOut, summary="修改数据资源", auth=allow("catalog.edit"))
def replace_resource(request, code: str, payload: ResourceIn):
    return update_resource(request, code, payload)


@router.delete("/resources/{code}", response={204: None}, summary="删除草稿资源", auth=allow("catalog.edit"))
def delete_resource(request, code: str):
    services.delete_resource(principal_of(request), services.get_visible(principal_of(request), code))
    return Status(204, None)


@router.post("/resources/{code}/submit", response=ResourceOut, summary="提交审核", auth=allow("catalog.edit"))
def submit_resource(request, code: str):
    return services.submit_resource(principal_of(request), services.get_visible(principal_of(request), code))


@router.post("/resources/{code}/publish", response=ResourceOut, summary="审核发布(数据管理部门)",
             auth=allow("catalog.review"))
def publish_resource(request, code: str, payload: NoteIn | None = None):
    resource = services.get_visible(principal_of(request), code)
    return services.publish_resource(principal_of(request), resource, payload.note if payload else "")


@router.post("/resources/{code}/reject", response=ResourceOut, summary="退回修改(数据管理部门)",
             auth=allow("catalog.review"))
def reject_resource(request, code: str, payload: ReasonIn):
    resource = services.get_visible(principal_of(request), code)
    return services.reject_resource(principal_of(request), resource, payload.reason)


@router.post("/resources/{code}/retire", response=ResourceOut, summary="申请下线(有替代资源时保留过渡期)",
             auth=allow("catalog.edit"))
def retire_resource(request, code: str, payload: RetireIn):
    resource = services.get_visible(principal_of(request), code)
    successor = services.get_visible(principal_of(request), payload.successor) if payload.successor else None
    return services.retire_resource(principal_of(request), resource, payload.reason, successor)


@router.get("/resources/{code}/versions", response=list[VersionOut], summary="目录版本", auth=allow("catalog.view"))
@paginate(PageNumberPagination, page_size=20)
def list_versions(request, code: str):
    return services.get_visible(principal_of(request), code).versions.all()


@router.get("/demands", response=list[DemandOut], summary="需求清单", auth=allow("catalog.demand.view"))
@paginate(PageNumberPagination, page_size=20)
def list_demands(request, status: str = "", q: str = ""):
    return Demand.objects.visible_to(principal_of(request)).filtered({"status": status, "q": q})


@router.post("/demands", response={201: DemandDetailOut}, summary="登记数据需求", auth=allow("catalog.demand"))
def create_demand(request, payload: DemandIn):
    data = payload.dict()
    data["requester"] = _department(data["requester"]) if data.get("requester") else None
    data["provider"] = _department(data["provider"]) if data.get("provider") else None
    return Status(201, services.create_demand(principal_of(request), data))


def _demand(request, demand_id: int) -> Demand:
    demand = Demand.objects.visible_to(principal_of(request)).filter(pk=demand_id).first()
    if demand is None:
        raise Http404("数据需求不存在或无权查看")
    return demand


@router.get("/demands/{demand_id}", response=DemandDetailOut, summary="需求详情与推荐资源",
            auth=allow("catalog.demand.view"))
def get_demand(request, demand_id: int):
    return _demand(request, demand_id)


@router.post("/demands/{demand_id}/match", response=DemandOut, summary="匹配资源", auth=allow("catalog.demand"))
def match_demand(request, demand_id: int, payload: MatchIn):
    resource = services.get_visible(principal_of(request), payload.resource)
    return services.match_demand(principal_of(request), _demand(request, demand_id), resource, payload.note)


@router.post("/demands/{demand_id}/close", response=DemandOut, summary="关闭需求", auth=allow("catalog.demand"))
def close_demand(request, demand_id: int, payload: NoteIn):
    return services.close_demand(principal_of(request), _demand(request, demand_id), payload.note)


@router.get("/obligations", response=list[ObligationOut], summary="目录更新义务", auth=allow("catalog.view"))
@paginate(PageNumberPagination, page_size=20)
def list_obligations(request, open_only: bool = False):
    return UpdateObligation.objects.visible_to(principal_of(request)).filtered({"open": open_only})


@router.post("/obligations", response={201: ObligationOut}, summary="登记职能或法规变化(15个工作日内更新目录)",
             auth=allow("catalog.obligation"))
def create_obligation(request, payload: ObligationIn):
    principal = principal_of(request)
    department = _department(payload.department) if payload.department else principal.department
    if department is None:
        raise ValidationError("请指定部门", code="department_required")
    return Status(201, services.record_change_of_duty(principal, department, payload.reason, payload.description,
                                                      payload.changed_on))


@router.post("/obligations/{obligation_id}/fulfil", response=ObligationOut, summary="确认目录已更新",
             auth=allow("catalog.obligation"))
def fulfil_obligation(request, obligation_id: int, payload: NoteIn):
    obligation = get_object_or_404(UpdateObligation, pk=obligation_id)
    return services.fulfil_obligation(principal_of(request), obligation, payload.note)


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


@router.get("/export/share-list.xlsx", summary="导出政务数据共享清单(Excel)", auth=allow("catalog.view"))
def export_share_list(request, provider: str = ""):
    principal = principal_of(request)
    # The 共享清单 lists the current catalog; resources taken offline are not part of it.
    resources = services.search_resources(principal, "", {"provider": provider}).exclude(status="offline")
    return _xlsx(transfer.export_share_list(principal, resources), "share-list.xlsx")


@router.post("/import/share-list", response=ImportOut, summary="导入政务数据共享清单(全部通过才保存)",
             auth=allow("catalog.edit"))
def import_share_list(request, file: UploadedFile = File(...)):  # noqa: B008
    report = transfer.import_share_list(principal_of(request), file.read(transfer.MAX_BYTES + 1))
    return report.as_dict()


@router.get("/export/demand-list.xlsx", summary="导出政务数据需求清单(Excel)", auth=allow("catalog.demand.view"))
def export_demand_list(request):
    principal = principal_of(request)
    return _xlsx(transfer.export_demand_list(principal, Demand.objects.visible_to(principal)), "demand-list.xlsx")


@router.post("/import/demand-list", response=ImportOut, summary="导入政务数据需求清单(全部通过才保存)",
             auth=allow("catalog.demand"))
def import_demand_list(request, file: UploadedFile = File(...)):  # noqa: B008
    report = transfer.import_demand_list(principal_of(request), file.read(transfer.MAX_BYTES + 1))
    return report.as_dict()


@router.get("/export/review-form.xlsx", summary="导出政务数据共享信息审核表(按月)", auth=allow("catalog.view"))
def export_review_form(request, year: int, month: int, department: str = ""):
    principal = principal_of(request)
    target = _department(department) if department else principal.department
    if target is None:
        raise ValidationError("请指定部门", code="department_required")
    return _xlsx(transfer.export_review_form(principal, target, year, month), f"review-form-{year}-{month:02d}.xlsx")


@router.get("/dcat.jsonld", summary="DCAT 目录(JSON-LD)", auth=allow("catalog.view"))
def dcat(request):
    from django.http import JsonResponse

    document = transfer.dcat_catalog(request.build_absolute_uri("/"))
    return JsonResponse(document, content_type="application/ld+json", json_dumps_params={"ensure_ascii": False})
