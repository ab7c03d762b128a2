"""Credit API: credit check (联合奖惩), statistics, lists, records and 双公示, repair, memoranda, reports."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Router

from regshare.core import audit
from regshare.core.auth import allow
from regshare.core.pagination import Mapped, PageNumberPagination, paginate
from regshare.entities import services as entities

from . import reports, services
from .models import CreditRecord, ListEntry, Memorandum, RepairApplication
from .schemas import (
    CheckOut,
    ListEntryIn,
    ListEntryOut,
    ListRemovalIn,
    MemorandumOut,
    RecordOut,
    RepairDecisionIn,
    RepairIn,
    RepairOut,
    StatsOut,
)

router = Router(tags=["credit"])


@router.get("/check", response=CheckOut, auth=allow("credit.check"), summary="信用核查(联合奖惩措施)")
def check(request: HttpRequest, uscc: str, scenario: str, purpose: str = ""):
    try:
        result = services.check(request.auth, uscc, scenario, purpose)
    except audit.AuditUnavailable as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=503)
    entity = result["entity"]
    return {**result, "entity": {"uscc": entity.uscc, "name": entity.name, "status": entity.status}}


@router.get("/stats", response=StatsOut, auth=allow("credit.stats"), summary="信用核查使用统计")
def stats(request: HttpRequest):
    return services.check_statistics()


@router.get("/lists", response=list[ListEntryOut], auth=allow("credit.view"), summary="信用名单")
@paginate(PageNumberPagination, page_size=20)
def lists(request: HttpRequest, list_type: str = "", active: bool | None = None, q: str = ""):
    return [list_out(e) for e in services.list_query(list_type, active, q)]


@router.post("/lists", response=ListEntryOut, auth=allow("credit.manage"), summary="列入名单(本部门的决定)")
def add_to_list(request: HttpRequest, body: ListEntryIn):
    principal = request.auth
    entity = entities.get_entity(body.uscc)
    entry = services.add_to_list(principal, entity, body.list_type, body.cause, body.decision_no, principal.department,
                                 body.listed_on, body.cause_text)
    return list_out(entry)


@router.post("/lists/{entry_id}/remove", response=ListEntryOut, auth=allow("credit.manage"), summary="移出名单")
def remove_from_list(request: HttpRequest, entry_id: int, body: ListRemovalIn):
    entry = get_object_or_404(ListEntry.objects.select_related("entity"), pk=entry_id)
    return list_out(services.remove_from_list(request.auth, entry, body.removed_on, body.reason))


def list_out(e: ListEntry) -> dict:
    return {"id": e.pk, "list_type": e.list_type, "uscc": e.entity.uscc, "name": e.entity.name, "cause": e.cause,
            "cause_text": e.cause_text, "decision_no": e.decision_no, "listed_on": e.listed_on,
            "removed_on": e.removed_on, "removal_reason": e.removal_reason}


@router.get("/records", response=list[RecordOut], auth=allow("credit.view"), summary="信用记录")
@paginate(PageNumberPagination, page_size=20)
def records(request: HttpRequest, kind: str = "", uscc: str = "", late: bool = False, publicity: str = ""):
    qs = services.late_publications().order_by("-decided_on", "-id") if late else services.record_query(
        kind, uscc, publicity)
    return Mapped(qs, record_out)


def record_out(r: CreditRecord) -> dict:
    return {"id": r.pk, "kind": r.kind, "doc_no": r.doc_no, "uscc": r.entity.uscc if r.entity else None,
            "raw_name": r.raw_name, "department": r.department.name, "title": r.title, "decided_on": r.decided_on,
            "severity": r.severity, "outcome": r.outcome, "publicity": r.publicity, "publish_due": r.publish_due,
            "published_on": r.published_on, "publicity_until": r.publicity_until, "repair_from": r.repair_from,
            "late": services.is_late(r)}


@router.post("/records/{record_id}/publish", response=RecordOut, auth=allow("credit.manage"), summary="登记公示")
def publish(request: HttpRequest, record_id: int):
    record = get_object_or_404(CreditRecord, pk=record_id)
    return record_out(services.publish(request.auth, record))


@router.get("/memoranda", response=list[MemorandumOut], auth=allow("credit.view"), summary="联合奖惩备忘录")
@paginate(PageNumberPagination, page_size=20)
def memoranda(request: HttpRequest):
    return [{"code": m.code, "title": m.title, "issuer": m.issuer, "document_no": m.document_no,
             "list_type": m.list_type, "kind": m.kind,
             "measures": [{"scenario": x.scenario, "department": x.department, "measure": x.text,
                           "legal_basis": x.legal_basis} for x in m.measures.all()]}
            for m in Memorandum.objects.prefetch_related("measures")]


def repair_out(a: RepairApplication) -> dict:
    return {"id": a.pk, "record_id": a.record_id, "doc_no": a.record.doc_no, "applicant": a.applicant,
            "status": a.status, "submitted_on": a.submitted_on, "due_on": a.due_on, "decided_on": a.decided_on,
            "decision_note": a.decision_note}


@router.post("/repairs", response=RepairOut, auth=allow("credit.manage"), summary="受理信用修复申请")
def apply_repair(request: HttpRequest, body: RepairIn):
    record = get_object_or_404(CreditRecord, pk=body.record_id)
    return repair_out(services.apply_repair(request.auth, record, body.applicant, body.reason, body.commitment))


@router.post("/repairs/{repair_id}/decide", response=RepairOut, auth=allow("credit.repair"), summary="信用修复决定")
def decide_repair(request: HttpRequest, repair_id: int, body: RepairDecisionIn):
    application = get_object_or_404(RepairApplication, pk=repair_id)
    return repair_out(services.decide_repair(request.auth, application, body.approve, body.note))


@router.get("/reports/{uscc}.{fmt}", auth=allow("credit.report"), summary="信用报告(pdf 或 docx)")
def report(request: HttpRequest, uscc: str, fmt: str):
    entity = entities.get_entity(uscc)
    content, content_type, filename = reports.render(request.auth, entity, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response
