"""Applications and their review (seed 002 第十四至十七条): submission, the review steps, negotiation,
coordination, withdrawal and review delegation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from regshare.catalog.models import Resource, ShareType, Status
from regshare.core import audit, uploads, workflow
from regshare.core import services as core
from regshare.core.clock import today
from regshare.core.permissions import Principal, require

from .. import flows
from ..models import Application, ApplicationStatus, Decision, Grant, ReviewDelegate, ReviewStep, Stage
from .common import (
    APPROVAL_SUFFIXES,
    MAX_APPROVAL_BYTES,
    _deadline,
    _department_of,
    data_bureau,
    platform_review_days,
)


@dataclass
class ApplicationInput:
    resource: Resource
    fields: list[str]
    purpose: str
    scenario: str
    legal_basis: str
    period_start: dt.date
    period_end: dt.date
    approval_file: UploadedFile | None
    clear_fields: list[str] = field(default_factory=list)
    row_filter: dict = field(default_factory=dict)


def field_codes(resource: Resource) -> list[str]:
    return list(resource.fields.order_by("position", "id").values_list("code_name", flat=True))


def _check_fields(resource: Resource, wanted: list[str], *, label: str = "数据项") -> list[str]:
    known = field_codes(resource)
    wanted = [f for f in dict.fromkeys(wanted or []) if f]
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise ValidationError(f"{label}不属于该资源: {', '.join(unknown)}", code="unknown_field")
    return [f for f in known if f in wanted]


def _check_row_filter(resource: Resource, row_filter: dict, allowed: list[str]) -> dict:
    if not row_filter:
        return {}
    if not isinstance(row_filter, dict):
        raise ValidationError("行范围格式应为 {数据项: [允许值…]}", code="bad_row_filter")
    clean = {}
    for name, values in row_filter.items():
        if name not in allowed:
            raise ValidationError(f"行范围使用了未申请的数据项: {name}", code="bad_row_filter")
        values = values if isinstance(values, list) else [values]
        values = [str(v) for v in values if str(v).strip()]
        if not values:
            raise ValidationError(f"行范围 {name} 没有允许值", code="bad_row_filter")
        clean[name] = values
    return clean


def _next_number(day: dt.date) -> str:
    prefix = f"SQ{day:%Y%m%d}"
    count = Application.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


def submit_application(actor: Principal, data: ApplicationInput, *, on: dt.date | None = None) -> Application:
    """共享申请 (002 第十四条): the clock of the platform compliance review starts today."""
    require(actor, "exchange.apply")
    requester = _department_of(actor)
    resource = data.resource
    on = on or today()
    if not Resource.objects.visible_to(actor).filter(pk=resource.pk).exists():
        # Another department's draft is answered like a code that does not exist.
        raise ValidationError(f"资源 {resource.code} 不存在", code="unknown_resource")
    if resource.status != Status.PUBLISHED:
        raise ValidationError("该资源未发布,不能申请", code="not_published")
    if resource.share_type == ShareType.NONE:
        raise ValidationError("该资源为不予共享类,不能申请共享", code="not_shared")
    if resource.provider_id == requester.pk:
        raise ValidationError("本部门提供的资源无需申请", code="own_resource")
    if resource.dedicated_departments.filter(pk=requester.pk).exists():
        raise ValidationError("本部门在该资源的专用部门名单内,可直接使用,无需申请", code="dedicated_no_application")
    fields = _check_fields(resource, data.fields)
    if not fields:
        raise ValidationError("请至少选择一个数据项", code="no_fields")
    clear_fields = _check_fields(resource, data.clear_fields, label="明文数据项")
    if set(clear_fields) - set(fields):
        raise ValidationError("明文数据项须在申请的数据项之内", code="unknown_field")
    row_filter = _check_row_filter(resource, data.row_filter, fields)
    for label, text in (("用途", data.purpose), ("应用场景", data.scenario), ("法律依据", data.legal_basis)):
        if not (text or "").strip():
            raise ValidationError(f"请填写{label}", code="missing_text")
    if data.period_end < data.period_start:
        raise ValidationError("使用截止日不能早于起始日", code="bad_period")
    if data.period_end < on:
        raise ValidationError("使用期限已过", code="bad_period")
    upload = data.approval_file
    if upload is None or not getattr(upload, "size", 0):
        raise ValidationError("请上传本部门分管领导的书面批准文件", code="approval_required")
    if upload.size > min(MAX_APPROVAL_BYTES, uploads.max_upload_bytes()):
        raise ValidationError(f"批准文件不能超过 {min(MAX_APPROVAL_BYTES, uploads.max_upload_bytes()) // uploads.MB}MB",
                              code="approval_too_large")
    if not upload.name.lower().endswith(APPROVAL_SUFFIXES):
        raise ValidationError("批准文件须为 PDF、OFD、图片或 Word 文件", code="approval_type")
    uploads.check_document(upload, upload.name, label="批准文件")
    bureau = data_bureau()
    deadline = _deadline(on, platform_review_days())
    with transaction.atomic():
        application = Application(
            number=_next_number(on), requester=requester, applicant=actor.user, resource=resource, fields=fields,
            clear_fields=clear_fields, row_filter=row_filter, purpose=data.purpose.strip(),
            scenario=data.scenario.strip(), legal_basis=data.legal_basis.strip(), period_start=data.period_start,
            period_end=data.period_end, submitted_on=on, status=ApplicationStatus.PLATFORM_REVIEW)
        application.approval_file.save(upload.name, upload, save=False)
        application.save()
        ReviewStep.objects.create(application=application, stage=Stage.PLATFORM, department=bureau, opened_on=on,
                                  deadline=deadline)
        audit.record(actor, "exchange.application.submit", application,
                     {"resource": resource.code, "fields": fields, "deadline": deadline})
        core.notify_department(bureau, "exchange.review", f"共享申请待符合性审查:{application.number}",
                               f"{requester.name} 申请 {resource.name},请于 {deadline} 前完成审查。",
                               f"/exchange/applications/{application.pk}/")
    return application


def _delegated_resources(actor: Principal) -> QuerySet[Resource]:
    return ReviewDelegate.delegated_resources(actor)


def can_act_on(actor: Principal, step: ReviewStep) -> bool:
    """Whether the actor may decide this step now: one of the stage's decisions is available to them."""
    if step.decision != Decision.PENDING:
        return False
    names = flows.DECISIONS.get(step.stage, ())
    return any(t.name in names for t in workflow.available(actor, step.application))


def _reviews_own_application(actor: Principal, application: Application) -> bool:
    return flows._own(actor, application)


SELF_REVIEW_MESSAGE = flows.SELF_REVIEW_MESSAGE


def _is_delegate(actor: Principal, resource: Resource) -> bool:
    if actor.user is None:
        return False
    return ReviewDelegate.objects.filter(Q(resource__isnull=True) | Q(resource=resource), delegate=actor.user,
                                         provider_id=resource.provider_id, active=True).exists()


def review_queue(actor: Principal) -> list[ReviewStep]:
    """Steps the actor may decide now, most urgent first."""
    steps = (ReviewStep.objects.filter(decision=Decision.PENDING)
             .select_related("application", "application__resource", "application__requester", "department")
             .order_by("deadline", "id"))
    return [s for s in steps if can_act_on(actor, s)]


def _pending_step(application: Application) -> ReviewStep:
    step = application.current_step()
    if step is None:
        raise ValidationError("该申请当前没有待办理的环节", code="no_pending_step")
    return step


def review(actor: Principal, application: Application, approve: bool, reason: str = "", *,
           clear_fields: list[str] | None = None, on: dt.date | None = None) -> Application:
    """Decide the current platform or provider step. A rejection must say why (002 第十五条(二))."""
    if application.status == ApplicationStatus.PLATFORM_REVIEW:
        conditional = application.resource.share_type == ShareType.CONDITIONAL
        name = ("platform_pass" if conditional else "platform_approve") if approve else "platform_reject"
    elif application.status == ApplicationStatus.PROVIDER_REVIEW:
        name = "provider_approve" if approve else "provider_reject"
    else:
        raise ValidationError("该申请不在审核环节", code="wrong_stage")
    return workflow.perform(actor, application, name, reason=reason or "", clear_fields=clear_fields,
                            on=on or today())


def _create_grant(application: Application) -> Grant:
    application.status = ApplicationStatus.APPROVED
    application.decided_at = timezone.now()
    application.save()
    grant = Grant.objects.create(
        application=application, resource=application.resource, consumer=application.requester,
        fields=application.fields, clear_fields=application.clear_fields, row_filter=application.row_filter,
        purpose=application.purpose, starts_on=application.period_start, expires_on=application.period_end)
    audit.record("system", "exchange.grant.create", grant,
                 {"application": application.number, "fields": grant.fields, "clear": grant.clear_fields,
                  "expires_on": grant.expires_on})
    core.notify_department(application.requester, "exchange.granted", f"共享申请已通过:{application.number}",
                           f"已授权使用 {application.resource.name},有效期至 {grant.expires_on}。",
                           f"/exchange/grants/{grant.pk}/")
    return grant


def start_negotiation(actor: Principal, application: Application, note: str, *, on: dt.date | None = None) -> Application:
    """002 第十四条(三): a refused conditional application the requester still needs goes to negotiation."""
    return workflow.perform(actor, application, "negotiate", note=note or "", on=on or today())


def conclude_negotiation(actor: Principal, application: Application, agreed: bool, note: str, *,
                         on: dt.date | None = None) -> Application:
    """Agreement grants; failure goes to the data bureau for coordination (协调解决)."""
    name = "negotiation_agree" if agreed else "negotiation_fail"
    return workflow.perform(actor, application, name, note=note or "", on=on or today())


def coordinate(actor: Principal, application: Application, approve: bool, reason: str) -> Application:
    """The data bureau's coordination decision is final."""
    return workflow.perform(actor, application, "coordinate_approve" if approve else "coordinate_reject",
                            reason=reason or "")


def withdraw(actor: Principal, application: Application) -> Application:
    return workflow.perform(actor, application, "withdraw")


def delegate_review(actor: Principal, delegate_user, resource: Resource | None = None) -> ReviewDelegate:
    """002 第十五条(一): the provider names an authorised agent whose review counts as its own."""
    require(actor, "exchange.delegate")
    provider = _department_of(actor)
    if resource is not None and resource.provider_id != provider.pk:
        raise PermissionDenied("只能为本部门提供的资源指定授权代理方")
    with transaction.atomic():
        delegation = ReviewDelegate.objects.create(provider=provider, delegate=delegate_user, resource=resource,
                                                   granted_by=actor.user)
        audit.record(actor, "exchange.delegate", delegation,
                     {"delegate": delegate_user.username, "resource": resource.code if resource else "*"})
    return delegation


def end_delegation(actor: Principal, delegation: ReviewDelegate) -> None:
    require(actor, "exchange.delegate")
    if actor.department is None or actor.department.pk != delegation.provider_id:
        raise PermissionDenied("只能撤销本部门的授权代理")
    with transaction.atomic():
        delegation.active = False
        delegation.save(update_fields=["active"])
        audit.record(actor, "exchange.delegate.end", delegation)
