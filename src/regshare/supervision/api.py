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
from regshare.core.models import Department
from regshare.core.pagination import Mapped, PageNumberPagination, paginate
from regshare.core.permissions import PUBLIC, Principal
from regshare.entities.models import Entity

from . import services
from .models import (
    AssistanceRequest,
    Case,
    Complaint,
    InspectionTask,
    Inspector,
    InspectorConflict,
    RandomItem,
    SupervisionItem,
    SupervisionRecord,
)
from .schemas import (
    AssistanceIn,
    AssistanceOut,
    AssistanceStepIn,
    CaseDetailOut,
    CaseEventIn,
    CaseIn,
    CaseOut,
    CaseStepIn,
    ComplaintIn,
    ComplaintOut,
    ComplaintStepIn,
    ConflictIn,
    ConflictOut,
    ItemOut,
    RecordIn,
    RecordOut,
    TaskIn,
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


# ---------------------------------------------------------------- joint supervision: assistance, cases, conflicts

def _department(code: str) -> Department:
    department = Department.objects.filter(code=code, active=True).first()
    if department is None:
        raise ValidationError(f"部门编码不存在: {code[:40]}", code="unknown_department")
    return department


def _acting_department(principal: Principal) -> Department:
    if principal.department is None:
        raise ValidationError("调用方没有所属部门", code="no_department")
    return principal.department


def assistance_out(r: AssistanceRequest, principal: Principal) -> dict:
    return {"id": r.pk, "subject": r.subject, "requester": r.requester.name, "target": r.target.name,
            "status": r.status, "deadline": r.deadline, "uscc": r.entity.uscc if r.entity else None,
            "case_id": r.case_id, "content": r.content, "reply": r.reply,
            "actions": workflow.actions(principal, r)}


@router.get("/assistance", response=list[AssistanceOut], auth=allow("supervision.view"), summary="协查协办")
@paginate(PageNumberPagination, page_size=20)
def assistance_list(request: HttpRequest, q: str = ""):
    qs = AssistanceRequest.objects.visible_to(request.auth).select_related("requester", "target", "entity")
    q = q.replace("\x00", "").strip()[:100]
    if q:
        qs = qs.filter(subject__icontains=q)
    return Mapped(qs, lambda r: assistance_out(r, request.auth))


@router.post("/assistance", response={201: AssistanceOut}, auth=allow("supervision.assist"),
             summary="发起协查协办(办理期限按工作日计算)")
def assistance_create(request: HttpRequest, body: AssistanceIn):
    principal: Principal = request.auth
    case = None
    if body.case_id is not None:
        case = Case.objects.visible_to(principal).filter(pk=body.case_id).first()
        if case is None:
            raise ValidationError("关联案件不存在", code="unknown_case")
    entity = services.entity_by_code(body.uscc) if body.uscc.strip() else None
    req = services.request_assistance(principal, _acting_department(principal), _department(body.target),
                                      body.subject, body.content, entity=entity, case=case)
    return Status(201, assistance_out(req, principal))


@router.get("/assistance/{request_id}", response=AssistanceOut, auth=allow("supervision.view"),
            summary="协查协办详情(含当前用户可办理的操作)")
def assistance_detail(request: HttpRequest, request_id: int):
    req = get_object_or_404(AssistanceRequest.objects.visible_to(request.auth)
                            .select_related("requester", "target", "entity"), pk=request_id)
    return assistance_out(req, request.auth)


@router.post("/assistance/{request_id}/{step}", response=AssistanceOut, auth=allow("supervision.assist"),
             summary="办理协查(accept/reply/close)")
def assistance_step(request: HttpRequest, request_id: int, step: str, body: AssistanceStepIn):
    req = get_object_or_404(AssistanceRequest.objects.visible_to(request.auth)
                            .select_related("requester", "target", "entity"), pk=request_id)
    req = services.assistance_step(request.auth, req, step, reply=body.reply)
    return assistance_out(req, request.auth)


def case_detail_out(case: Case, principal: Principal) -> dict:
    return {"id": case.pk, "title": case.title, "kind": case.kind, "lead_department": case.lead_department.name,
            "departments": [d.name for d in case.departments.all()], "status": case.status,
            "opened_on": case.opened_on, "deadline": case.deadline, "closed_on": case.closed_on,
            "summary": case.summary, "uscc": case.entity.uscc if case.entity else None,
            "timeline": [{"at": e.at, "department": e.department.name if e.department else None, "actor": e.actor,
                          "action": e.action, "note": e.note} for e in case.events.select_related("department")],
            "assistance": list(case.assistance.values_list("pk", flat=True)),
            "actions": workflow.actions(principal, case)}


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_object_or_404(Case.objects.visible_to(request.auth).select_related("lead_department", "entity"),
                             pk=case_id)


@router.post("/cases", response={201: CaseDetailOut}, auth=allow("supervision.case"),
             summary="登记重点事件或重大案件(本部门牵头)")
def case_create(request: HttpRequest, body: CaseIn):
    principal: Principal = request.auth
    entity = services.entity_by_code(body.uscc) if body.uscc.strip() else None
    case = services.open_case(principal, body.title, _acting_department(principal), body.summary, kind=body.kind,
                              entity=entity, departments=[_department(code) for code in body.departments])
    return Status(201, case_detail_out(case, principal))


@router.get("/cases/{case_id}", response=CaseDetailOut, auth=allow("supervision.view"),
            summary="事件或案件详情与全过程时间线")
def case_detail(request: HttpRequest, case_id: int):
    return case_detail_out(_case(request, case_id), request.auth)


@router.post("/cases/{case_id}/events", response={201: CaseDetailOut}, auth=allow("supervision.case"),
             summary="参与部门记入时间线")
def case_event(request: HttpRequest, case_id: int, body: CaseEventIn):
    case = _case(request, case_id)
    services.add_case_event(request.auth, case, body.action, body.note)
    return Status(201, case_detail_out(case, request.auth))


@router.post("/cases/{case_id}/{step}", response=CaseDetailOut, auth=allow("supervision.case"),
             summary="办理案件(investigate/decide/close)")
def case_step(request: HttpRequest, case_id: int, step: str, body: CaseStepIn):
    case = services.case_step(request.auth, _case(request, case_id), step, body.note)
    return case_detail_out(case, request.auth)


def conflict_out(c: InspectorConflict) -> dict:
    return {"id": c.pk, "inspector_id": c.inspector_id, "inspector": c.inspector.name,
            "department": c.inspector.department.name, "uscc": c.entity.uscc, "name": c.entity.name,
            "reason": c.reason, "declared_by": c.declared_by, "declared_on": c.declared_on}


@router.get("/conflicts", response=list[ConflictOut], auth=allow("supervision.view"), summary="回避申报")
@paginate(PageNumberPagination, page_size=20)
def conflicts(request: HttpRequest, uscc: str = ""):
    qs = (InspectorConflict.objects.visible_to(request.auth).select_related("inspector__department", "entity")
          .order_by("-declared_on", "-id"))
    if uscc:
        qs = qs.filter(entity__uscc=clean_uscc(uscc))
    return Mapped(qs, conflict_out)


@router.post("/conflicts", response={201: ConflictOut}, auth=allow("supervision.view"),
             summary="申报回避(本人,或本部门管理员代为申报)")
def conflict_create(request: HttpRequest, body: ConflictIn):
    inspector = get_object_or_404(Inspector.objects.select_related("department"), pk=body.inspector_id, active=True)
    conflict = services.declare_conflict(request.auth, inspector, services.entity_by_code(body.uscc), body.reason)
    return Status(201, conflict_out(conflict))


@router.delete("/conflicts/{conflict_id}", response={204: None}, auth=allow("supervision.view"),
               summary="撤回回避申报")
def conflict_withdraw(request: HttpRequest, conflict_id: int):
    conflict = get_object_or_404(InspectorConflict.objects.visible_to(request.auth)
                                 .select_related("inspector", "entity"), pk=conflict_id)
    services.withdraw_conflict(request.auth, conflict)
    return Status(204, None)


@router.post("/tasks", response={201: TaskOut}, auth=allow("supervision.manage_task"),
             summary="新建双随机抽查任务(可联合多部门,可设随机对照组)")
def task_create(request: HttpRequest, body: TaskIn):
    principal: Principal = request.auth
    items = list(RandomItem.objects.filter(item__catalog_code__in=body.item_codes).select_related("item"))
    missing = sorted(set(body.item_codes) - {i.item.catalog_code for i in items})
    if missing:
        raise ValidationError(f"不在随机抽查事项清单中: {'、'.join(missing)[:200]}", code="unknown_item")
    filters = {key: value for key, value in (("industry", body.industry), ("area", body.area)) if value}
    task = services.create_task(principal, code=body.code.strip(), name=body.name.strip(),
                                department=_acting_department(principal),
                                joint=[_department(code) for code in body.joint_departments], items=items,
                                filters=filters, ratios=body.ratios, inspectors_per_object=body.inspectors_per_object,
                                control_ratio=body.control_ratio)
    task.n = 0
    return Status(201, task_out(task))
