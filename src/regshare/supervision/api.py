"""Supervision API (thin): catalog, records (with referral), tasks and the public draw record, complaints."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from regshare.core import workflow
from regshare.core.auth import allow
from regshare.core.codes import clean_uscc
from regshare.core.pagination import Mapped, PageNumberPagination, paginate
from regshare.core.permissions import PUBLIC, Principal
from regshare.entities.models import Entity

from . import services
from .models import Case, Complaint, InspectionTask, SupervisionItem, SupervisionRecord
from .schemas import (
    CaseOut,
    ComplaintIn,
    ComplaintOut,
    ComplaintStepIn,
    ItemOut,
    RecordIn,
    RecordOut,
    TaskOut,
)

router = Router(tags=["supervision"])


def item_out(i: SupervisionItem) -> dict:
    return {"catalog_code": i.catalog_code, "department": i.department.name, "main_name": i.main_name,
            "sub_name": i.sub_name, "way": i.way, "measures": i.measures, "target": i.target,
            "legal_basis": i.legal_basis, "process": i.process, "result": i.result, "level": i.level,
            "published": i.published, "implementing_codes": [c.implementing_code for c in i.claims.all() if c.active]}


@router.get("/items", response=list[ItemOut], auth=allow("supervision.view"), summary="监管事项目录清单")
@paginate(PageNumberPagination, page_size=20)
def items(request: HttpRequest, q: str = "", way: str = ""):
    qs = services.item_query(SupervisionItem.objects.visible_to(request.auth), q, way).prefetch_related("claims")
    return Mapped(qs, item_out)


def record_out(r: SupervisionRecord) -> dict:
    return {"id": r.pk, "kind": r.kind, "doc_no": r.doc_no, "catalog_code": r.item.catalog_code,
            "department": r.department.name, "uscc": r.entity.uscc, "name": r.entity.name, "title": r.title,
            "decided_on": r.decided_on, "referred_to": [f.to_department.name for f in r.referrals.all()]}


@router.get("/records", response=list[RecordOut], auth=allow("supervision.view"), summary="监管行为记录")
@paginate(PageNumberPagination, page_size=20)
def records(request: HttpRequest, kind: str = "", uscc: str = ""):
    qs = SupervisionRecord.objects.visible_to(request.auth).select_related("item", "department", "entity")
    if kind:
        qs = qs.filter(kind=kind)
    if uscc:
        qs = qs.filter(entity__uscc=clean_uscc(uscc))
    return Mapped(qs.prefetch_related("referrals__to_department"), record_out)


@router.post("/records", response={201: RecordOut}, auth=allow("supervision.record"),
             summary="报送监管行为(许可、检查、处罚、强制),并实时抄告")
def create_record(request: HttpRequest, body: RecordIn):
    principal: Principal = request.auth
    item = SupervisionItem.objects.filter(catalog_code=body.catalog_code).first()
    if item is None:
        raise ValidationError(f"监管事项目录编码不存在: {body.catalog_code}", code="unknown_item")
    entity = Entity.objects.filter(uscc=clean_uscc(body.uscc)).first()
    if entity is None:
        raise ValidationError(f"法人库中没有该统一社会信用代码: {body.uscc}", code="unknown_entity")
    if principal.department is None:
        raise ValidationError("调用方没有所属部门", code="no_department")
    record = services.create_record(principal, {**body.dict(), "item": item, "entity": entity,
                                                "department": principal.department})
    return Status(201, record_out(record))


def task_out(t: InspectionTask) -> dict:
    return {"id": t.pk, "code": t.code, "name": t.name, "department": t.department.name, "status": t.status,
            "deadline": t.deadline, "algorithm": t.algorithm, "seed": t.seed, "pool_sha256": t.pool_sha256,
            "objects": t.n}


@router.get("/tasks", response=list[TaskOut], auth=allow("supervision.view"), summary="双随机抽查任务")
@paginate(PageNumberPagination, page_size=20)
def tasks(request: HttpRequest, q: str = ""):
    qs = InspectionTask.objects.visible_to(request.auth).select_related("department").annotate(
        n=Count("selections", distinct=True)).order_by("-created_at", "-id")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return Mapped(qs, task_out)


@router.get("/draws/{task_id}", auth=allow(PUBLIC), summary="公开的抽取记录(可重算核验)")
def draw_record(request: HttpRequest, task_id: int):
    task = get_object_or_404(InspectionTask.objects.visible_to(Principal()), pk=task_id)
    return services.published_record(task)


def complaint_out(c: Complaint, principal: Principal | None = None) -> dict:
    return {"id": c.pk, "order_no": c.order_no, "source": c.source, "status": c.status, "category": c.category,
            "department": c.department.name if c.department else None, "deadline": c.deadline,
            "received_on": c.received_on, "uscc": c.entity.uscc if c.entity else None,
            "actions": [t.name for t in workflow.available(principal, c)] if principal else []}


@router.get("/complaints", response=list[ComplaintOut], auth=allow("supervision.view"), summary="投诉举报工单")
@paginate(PageNumberPagination, page_size=20)
def complaints(request: HttpRequest, status: str = "", q: str = ""):
    qs = Complaint.objects.visible_to(request.auth).select_related("department", "entity")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(order_no__icontains=q) | Q(content__icontains=q))
    return Mapped(qs, lambda c: complaint_out(c, request.auth))


@router.post("/complaints", response={201: ComplaintOut}, auth=allow("supervision.complaint_intake"),
             summary="接收投诉举报工单(12345)并按规则分派")
def intake(request: HttpRequest, body: ComplaintIn):
    complaint = services.intake(request.auth, body.dict(), source="api")
    return Status(201, complaint_out(complaint, request.auth))


@router.post("/complaints/{complaint_id}/{step}", response=ComplaintOut, auth=allow("supervision.complaint_handle"),
             summary="办理工单(accept/refuse/assign/handle/reply/close)")
def complaint_step(request: HttpRequest, complaint_id: int, step: str, body: ComplaintStepIn):
    complaint = get_object_or_404(Complaint.objects.visible_to(request.auth), pk=complaint_id)
    data = body.dict()
    note = data.pop("note")
    if not data["satisfaction"]:
        data.pop("satisfaction")
    complaint = services.complaint_step(request.auth, complaint, step, note, **data)
    return complaint_out(complaint, request.auth)


@router.get("/complaints-stats", auth=allow("supervision.stats"), summary="投诉举报按部门、分类统计")
def complaint_stats(request: HttpRequest):
    return services.complaint_figures(Complaint.objects.visible_to(request.auth))


@router.get("/cases", response=list[CaseOut], auth=allow("supervision.view"), summary="重点事件与案件")
@paginate(PageNumberPagination, page_size=20)
def cases(request: HttpRequest):
    qs = Case.objects.visible_to(request.auth).select_related("lead_department").annotate(
        n=Count("events")).order_by("-opened_on", "-id")
    return Mapped(qs, lambda c: {"id": c.pk, "title": c.title, "kind": c.kind,
                                 "lead_department": c.lead_department.name, "status": c.status,
                                 "opened_on": c.opened_on, "deadline": c.deadline, "events": c.n})
