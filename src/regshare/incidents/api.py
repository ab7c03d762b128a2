"""Security-incident API, mounted at ``/api/v1/incidents``. Thin: every rule is in ``services``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema

from regshare.core.auth import allow
from regshare.core.pagination import PageNumberPagination, paginate
from regshare.core.permissions import principal_of

from . import services
from .models import Incident

router = Router(tags=["incidents"])

# Ids beyond the database's integer range are refused by the schema (422), not by the database (500).
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ReportOut(Schema):
    level: str
    recipient: str
    content: str
    reported_at: dt.datetime
    on_time: bool


class StepOut(Schema):
    kind: str
    happened_at: dt.datetime
    description: str
    actor: str

    @staticmethod
    def resolve_actor(obj) -> str:
        return str(obj.actor)


class IncidentOut(Schema):
    id: int
    number: str
    title: str
    grade: str
    grade_label: str
    status: str
    description: str
    discovered_at: dt.datetime
    discoverer: str
    department: str
    report_hours: int
    report_deadline: dt.datetime
    report_overdue: bool
    bureau_reported_at: dt.datetime | None
    upward_reported_at: dt.datetime | None
    channel_cut_at: dt.datetime | None
    closed_at: dt.datetime | None
    closing_review: str
    resources: list[str]
    grants: list[int]
    departments: list[str]

    @staticmethod
    def resolve_grade_label(obj: Incident) -> str:
        return obj.get_grade_display()

    @staticmethod
    def resolve_department(obj: Incident) -> str:
        return obj.department.code

    @staticmethod
    def resolve_report_overdue(obj: Incident) -> bool:
        return obj.report_overdue(timezone.now())

    @staticmethod
    def resolve_resources(obj: Incident) -> list[str]:
        return sorted(obj.resources.values_list("code", flat=True))

    @staticmethod
    def resolve_grants(obj: Incident) -> list[int]:
        return sorted(obj.grants.values_list("pk", flat=True))

    @staticmethod
    def resolve_departments(obj: Incident) -> list[str]:
        return sorted(obj.departments.values_list("code", flat=True))


class IncidentDetailOut(IncidentOut):
    reports: list[ReportOut]
    steps: list[StepOut]

    @staticmethod
    def resolve_reports(obj: Incident) -> list:
        return list(obj.reports.all())

    @staticmethod
    def resolve_steps(obj: Incident) -> list:
        return list(obj.steps.select_related("actor"))


class IncidentIn(Schema):
    title: str
    grade: str
    description: str
    discovered_at: dt.datetime
    discoverer: str = ""
    resources: list[str] = []
    grants: list[Id] = []
    departments: list[str] = []


class StepIn(Schema):
    description: str
    happened_at: dt.datetime | None = None


class ReportIn(Schema):
    level: str
    recipient: str
    content: str


class ReasonIn(Schema):
    reason: str


class RevokeIn(Schema):
    grant: Id
    reason: str


class CloseIn(Schema):
    review: str


def _incident(request, incident_id: int) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(principal_of(request)), pk=incident_id)


@router.get("", response=list[IncidentOut], summary="安全事件列表", auth=allow("incidents.view"))
@paginate(PageNumberPagination, page_size=20)
def list_incidents(request, grade: str = "", status: str = ""):
    return Incident.objects.visible_to(principal_of(request)).filtered({"grade": grade, "status": status})


@router.post("", response={201: IncidentDetailOut}, summary="登记安全事件", auth=allow("incidents.register"))
def register(request, payload: IncidentIn):
    incident = services.register_incident(principal_of(request), services.IncidentInput(
        title=payload.title, grade=payload.grade, description=payload.description,
        discovered_at=payload.discovered_at, discoverer=payload.discoverer, resource_codes=payload.resources,
        grant_ids=payload.grants, department_codes=payload.departments))
    return 201, incident


@router.get("/{incident_id}", response=IncidentDetailOut, summary="安全事件详情", auth=allow("incidents.view"))
def detail(request, incident_id: int):
    return _incident(request, incident_id)


@router.post("/{incident_id}/steps", response={201: IncidentDetailOut}, summary="登记处置记录",
             auth=allow("incidents.handle"))
def step(request, incident_id: int, payload: StepIn):
    incident = _incident(request, incident_id)
    services.add_step(principal_of(request), incident, payload.description, payload.happened_at)
    return 201, incident


@router.post("/{incident_id}/report", response=IncidentDetailOut, summary="报告区数据管理局 / 向上级报告",
             auth=allow("incidents.handle"))
def report(request, incident_id: int, payload: ReportIn):
    incident = _incident(request, incident_id)
    services.report(principal_of(request), incident, payload.level, payload.recipient, payload.content)
    return incident


@router.post("/{incident_id}/cut", response=IncidentDetailOut, summary="切断共享通道",
             auth=allow("incidents.cut"))
def cut(request, incident_id: int, payload: ReasonIn):
    return services.cut_channel(principal_of(request), _incident(request, incident_id), payload.reason)


@router.post("/{incident_id}/revoke", response=IncidentDetailOut, summary="收回涉及的共享授权",
             auth=allow("incidents.cut"))
def revoke(request, incident_id: int, payload: RevokeIn):
    incident = _incident(request, incident_id)
    services.revoke_grant(principal_of(request), incident, payload.grant, payload.reason)
    return incident


@router.post("/{incident_id}/close", response=IncidentDetailOut, summary="结案复核", auth=allow("incidents.close"))
def close(request, incident_id: int, payload: CloseIn):
    return services.close(principal_of(request), _incident(request, incident_id), payload.review)
