"""The sharing workflow (SPEC §3; seed 002 第十四至十八条, 第二十二条): applications, reviews with
working-day deadlines, negotiation and coordination, grants, grant-bound tokens, revocation,
destruction records, and who may see a resource's rows (``access_scope``).

Data-plane services (queries, downloads, receipts, push, proxy, offline packages, corrections)
live in ``access.py``, ``push.py``, ``proxy.py``, ``offline.py`` and ``corrections.py`` and are
re-exported at the bottom, so callers use ``exchange.services`` only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from cachetools import TTLCache
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from regshare.catalog.models import Resource, ResourceField, ShareType, Status
from regshare.core import audit, uploads, workdays, workflow
from regshare.core import services as core
from regshare.core.clock import today
from regshare.core.models import ApiToken, Department
from regshare.core.permissions import Principal, has_perm, is_data_bureau, require

from . import flows
from .models import (
    Application,
    ApplicationStatus,
    Decision,
    Delivery,
    DeliveryStatus,
    Destruction,
    Grant,
    GrantStatus,
    GrantToken,
    ReviewDelegate,
    ReviewStep,
    Stage,
)

# ----------------------------------------------------------------------------- settings


def platform_review_days() -> int:
    return int(getattr(settings, "REGSHARE_PLATFORM_REVIEW_DAYS", 2))


def provider_review_days() -> int:
    return int(getattr(settings, "REGSHARE_PROVIDER_REVIEW_DAYS", 5))


def negotiation_days() -> int:
    return int(getattr(settings, "REGSHARE_NEGOTIATION_DAYS", 10))


def coordination_days() -> int:
    return int(getattr(settings, "REGSHARE_COORDINATION_DAYS", 10))


def correction_days() -> int:
    return int(getattr(settings, "REGSHARE_CORRECTION_DAYS", 5))


MAX_APPROVAL_BYTES = 20 * 1024 * 1024
APPROVAL_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".ofd", ".doc", ".docx")


def _deadline(start: dt.date, days: int) -> dt.date:
    try:
        return workdays.add_workdays(start, days)
    except workdays.CalendarYearUnknown as exc:
        raise ValidationError(str(exc), code="calendar_year_unknown") from exc


def data_bureau() -> Department:
    bureau = Department.objects.filter(is_data_bureau=True, active=True).order_by("pk").first()
    if bureau is None:
        raise ValidationError("尚未设置数据管理部门,无法受理共享申请", code="no_data_bureau")
    return bureau


def _department_of(principal: Principal) -> Department:
    if principal.department is None:
        raise PermissionDenied("您尚未分配部门,不能办理共享业务")
    return principal.department


# ----------------------------------------------------------------------------- applications


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


# ----------------------------------------------------------------------------- overdue


def flag_overdue(on: dt.date | None = None) -> int:
    """Flag each overdue step and correction once, to its handler, the data bureau and the dashboard."""
    from .models import Correction, CorrectionStatus

    on = on or today()
    count = 0
    for step in (ReviewStep.objects.filter(decision=Decision.PENDING, deadline__lt=on, overdue_flagged_on__isnull=True)
                 .select_related("application", "department")):
        with transaction.atomic():
            step.overdue_flagged_on = on
            step.save(update_fields=["overdue_flagged_on"])
            title = f"审核超期:{step.application.number}({step.get_stage_display()},期限 {step.deadline})"
            link = f"/exchange/applications/{step.application_id}/"
            core.notify_department(step.department, "exchange.overdue", title, "", link)
            if not step.department.is_data_bureau:
                core.notify_data_bureau("exchange.overdue", title, f"办理部门:{step.department.name}", link)
            audit.record("system", "exchange.review.overdue", step.application,
                         {"stage": step.stage, "deadline": step.deadline})
        count += 1
    for correction in Correction.objects.filter(status=CorrectionStatus.OPEN, deadline__lt=on,
                                                overdue_flagged_on__isnull=True).select_related("resource"):
        with transaction.atomic():
            correction.overdue_flagged_on = on
            correction.save(update_fields=["overdue_flagged_on"])
            title = f"纠错校核超期:{correction.resource.code} #{correction.pk}(期限 {correction.deadline})"
            core.notify_department(correction.resource.provider, "exchange.overdue", title, "",
                                   f"/exchange/corrections/{correction.pk}/")
            core.notify_data_bureau("exchange.overdue", title, "", f"/exchange/corrections/{correction.pk}/")
            audit.record("system", "exchange.correction.overdue", correction, {"deadline": correction.deadline})
        count += 1
    return count


# ----------------------------------------------------------------------------- grants


def grant_is_live(grant: Grant, on: dt.date | None = None) -> bool:
    on = on or today()
    return grant.status == GrantStatus.ACTIVE and grant.starts_on <= on <= grant.expires_on


def open_dedicated_grant(actor: Principal, resource: Resource) -> Grant:
    """002 第十五条(四): a department on the 专用 list uses the resource directly, without review.

    The grant exists only so tokens and subscriptions bind to something revocable; it covers all
    fields, masked, for one year.
    """
    require(actor, "exchange.apply")
    department = _department_of(actor)
    if not resource.dedicated_departments.filter(pk=department.pk).exists():
        raise PermissionDenied("本部门不在该资源的专用部门名单内")
    existing = Grant.objects.filter(resource=resource, consumer=department, application__isnull=True,
                                    status=GrantStatus.ACTIVE, expires_on__gte=today()).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        grant = Grant.objects.create(resource=resource, consumer=department, fields=field_codes(resource),
                                     purpose="专用资源直接使用(无需申请)", starts_on=today(),
                                     expires_on=today() + dt.timedelta(days=365))
        audit.record(actor, "exchange.grant.dedicated", grant, {"resource": resource.code})
    return grant


@dataclass(frozen=True)
class ChannelCut:
    tokens: int
    subscriptions: int
    deliveries: int


def _close_channel(grant: Grant, now: dt.datetime) -> ChannelCut:
    forget_metadata()
    tokens = ApiToken.objects.filter(grant_binding__grant=grant, revoked_at__isnull=True).update(revoked_at=now)
    subscriptions = grant.subscriptions.filter(active=True).update(active=False)
    deliveries = Delivery.objects.filter(subscription__grant=grant, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.STOPPED, next_attempt_at=None)
    return ChannelCut(tokens, subscriptions, deliveries)


def _end_grant(grant: Grant, status: str, actor_name: str, reason: str) -> None:
    now = timezone.now()
    grant.status, grant.ended_at, grant.ended_by, grant.end_reason = status, now, actor_name, reason
    grant.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    _close_channel(grant, now)


# Higher apps (the security-incident register) may hold a grant's channel shut while they handle it:
# each guard answers the reason a new token or subscription is refused, or None.
ChannelGuard = Callable[[Grant], "str | None"]
_channel_guards: list[ChannelGuard] = []


def register_channel_guard(guard: ChannelGuard) -> ChannelGuard:
    if guard not in _channel_guards:
        _channel_guards.append(guard)
    return guard


def check_channel_open(grant: Grant) -> None:
    for guard in _channel_guards:
        refusal = guard(grant)
        if refusal:
            raise ValidationError(refusal, code="channel_cut")


def cut_channel(actor: Principal, grant: Grant, reason: str) -> ChannelCut:
    """切断共享通道 (002 第二十二条) without ending the grant: its tokens are revoked, its subscriptions
    stop and pending pushes are dropped at once; the right of use stays until it is revoked."""
    require(actor, "exchange.revoke")
    department = _department_of(actor)
    if not (is_data_bureau(actor) or department.pk == grant.resource.provider_id):
        raise PermissionDenied("只有提供部门或数据管理部门可以切断共享通道")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("切断共享通道必须说明理由", code="reason_required")
    with transaction.atomic():
        cut = _close_channel(grant, timezone.now())
        audit.record(actor, "exchange.grant.cut", grant, {"reason": reason, "tokens": cut.tokens,
                                                          "subscriptions": cut.subscriptions,
                                                          "deliveries": cut.deliveries})
        core.notify_department(grant.consumer, "exchange.cut", f"共享通道已切断:{grant.resource.name}",
                               f"理由:{reason}。接口令牌已吊销,增量订阅已停止。", f"/exchange/grants/{grant.pk}/")
    return cut


def revoke_grant(actor: Principal, grant: Grant, reason: str) -> Grant:
    """收回使用权、切断共享通道 (002 第二十二条): by the provider or the data bureau, effective at once."""
    require(actor, "exchange.revoke")
    department = _department_of(actor)
    if not (is_data_bureau(actor) or department.pk == grant.resource.provider_id):
        raise PermissionDenied("只有提供部门或数据管理部门可以收回授权")
    if grant.status != GrantStatus.ACTIVE:
        raise ValidationError("该授权已终止", code="grant_not_active")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("收回授权必须说明理由", code="reason_required")
    with transaction.atomic():
        _end_grant(grant, GrantStatus.REVOKED, str(actor), reason)
        audit.record(actor, "exchange.grant.revoke", grant, {"reason": reason})
        core.notify_department(grant.consumer, "exchange.revoked", f"授权已被收回:{grant.resource.name}",
                               f"理由:{reason}。请销毁已获取数据的副本并登记销毁记录。",
                               f"/exchange/grants/{grant.pk}/")
    return grant


def expire_grants(on: dt.date | None = None) -> int:
    on = on or today()
    count = 0
    for grant in Grant.objects.filter(status=GrantStatus.ACTIVE, expires_on__lt=on).select_related("resource"):
        with transaction.atomic():
            _end_grant(grant, GrantStatus.EXPIRED, "system", "到期")
            audit.record("system", "exchange.grant.expire", grant, {"expires_on": grant.expires_on})
            core.notify_department(grant.consumer, "exchange.expired", f"授权已到期:{grant.resource.name}",
                                   "请销毁已获取数据的副本并登记销毁记录。", f"/exchange/grants/{grant.pk}/")
        count += 1
    return count


def record_destruction(actor: Principal, grant: Grant, *, destroyed_on: dt.date, method: str, copies: str,
                       witness: str = "") -> Destruction:
    require(actor, "exchange.destroy")
    if actor.department is None or actor.department.pk != grant.consumer_id:
        raise PermissionDenied("只有使用部门可以登记销毁记录")
    if grant.status == GrantStatus.ACTIVE:
        raise ValidationError("授权仍然有效,终止后才能登记销毁", code="grant_active")
    if not (method or "").strip() or not (copies or "").strip():
        raise ValidationError("请填写销毁方式和销毁的副本", code="missing_text")
    if destroyed_on > today():
        raise ValidationError("销毁日期不能晚于今天", code="bad_date")
    with transaction.atomic():
        record = Destruction.objects.create(grant=grant, destroyed_on=destroyed_on, method=method.strip(),
                                            copies=copies.strip(), witness=witness.strip(), recorded_by=actor.user)
        audit.record(actor, "exchange.grant.destruction", grant,
                     {"destroyed_on": destroyed_on, "method": method, "copies": copies})
    return record


def issue_grant_token(actor: Principal, grant: Grant, name: str, days_valid: int = 365,
                      scopes: list[str] | None = None) -> core.IssuedToken:
    """A consumer system's token bound to one active grant; it never outlives the grant."""
    require(actor, "exchange.token")
    if actor.department is None or actor.department.pk != grant.consumer_id:
        raise PermissionDenied("只有使用部门可以为授权签发令牌")
    if not grant_is_live(grant):
        raise ValidationError("授权未生效或已终止,不能签发令牌", code="grant_not_active")
    check_channel_open(grant)
    days_left = (grant.expires_on - today()).days + 1
    scopes = scopes or ["exchange.access", "exchange.subscribe", "exchange.correct", "exchange.receipt"]
    with transaction.atomic():
        issued = core.issue_token(actor, department=grant.consumer, name=name,
                                  scopes=scopes, days_valid=max(1, min(days_valid, days_left, 730)))
        GrantToken.objects.create(token=issued.token, grant=grant)
        audit.record(actor, "exchange.grant.token", grant, {"token": issued.token.prefix})
    return issued


# ----------------------------------------------------------------------------- who sees what


@dataclass(frozen=True)
class AccessScope:
    """What one principal may see of one resource: visible fields, clear-text fields, row filter."""

    resource: Resource
    fields: tuple[str, ...]
    clear: frozenset[str]
    row_filter: dict
    grant: Grant | None
    basis: str  # grant | dedicated | unconditional | provider
    tags: dict = field(default_factory=dict)
    # Every live grant behind the scope: each is applied on its own (exchange.access.grant_terms).
    grants: tuple = ()


# Field metadata, resources and token→grant bindings are read on every data request, so each process keeps
# them for a few seconds (cachetools). A change in this process (a grant ended, a field edited, a token
# bound) clears them when it commits. Revocation takes effect at once everywhere: ending a grant revokes
# its tokens in the same transaction, and the token itself is checked against the database on every call.
META_TTL = 5.0
_meta_cache: TTLCache = TTLCache(maxsize=4096, ttl=META_TTL)
_meta_lock = threading.Lock()
_MISSING = object()


def _cached(key: tuple, load):
    with _meta_lock:
        hit = _meta_cache.get(key, _MISSING)
    if hit is not _MISSING:
        return hit
    value = load()
    with _meta_lock:
        _meta_cache[key] = value
    return value


def forget_metadata(*_args, **_kwargs) -> None:
    """Clear the cached metadata now and once the current transaction commits (a request reading the old
    rows in between must not keep them for the next seconds)."""
    _clear_metadata()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_clear_metadata)


def _clear_metadata() -> None:
    with _meta_lock:
        _meta_cache.clear()


for _model in (Grant, GrantToken, Resource, ResourceField):
    post_save.connect(forget_metadata, sender=_model, dispatch_uid=f"regshare.exchange.meta.save.{_model.__name__}")
    post_delete.connect(forget_metadata, sender=_model, dispatch_uid=f"regshare.exchange.meta.del.{_model.__name__}")


def _tags(resource: Resource) -> dict[str, str]:
    return _cached(("tags", resource.pk, resource.updated_at), lambda: dict(resource.fields.values_list("code_name", "tag")))


def _scope_of_grant(grant: Grant, resource: Resource) -> AccessScope:
    return AccessScope(resource, tuple(grant.fields), frozenset(grant.clear_fields), dict(grant.row_filter or {}),
                       grant, "grant", _tags(resource), (grant,))


def resource_by_code(code: str) -> Resource | None:
    """A resource for the data API; cached for a few seconds (a change of status reaches readers then)."""
    return _cached(("resource", code), lambda: Resource.objects.select_related("provider").filter(code=code).first())


def _token_grant(token: ApiToken) -> Grant | None:
    def load():
        binding = GrantToken.objects.filter(token=token).select_related("grant").first()
        return binding.grant if binding is not None else None

    return _cached(("token", token.pk, token.secret_hash), load)


def access_scope(principal: Principal, resource: Resource) -> AccessScope | None:
    """SPEC §1: rows are visible only through a grant, a dedicated listing, or because the resource is
    unconditional and the viewer is a government user. None means: no rows at all."""
    if not principal.is_authenticated:
        return None
    if principal.token is not None:
        grant = _token_grant(principal.token)
        if grant is None or grant.resource_id != resource.pk or not grant_is_live(grant):
            return None
        return _scope_of_grant(grant, resource)
    department = principal.department
    if department is None or not has_perm(principal, "exchange.access"):
        return None
    if department.pk == resource.provider_id:
        fields = field_codes(resource)
        return AccessScope(resource, tuple(fields), frozenset(fields), {}, None, "provider", _tags(resource))
    if resource.status != Status.PUBLISHED:
        return None
    live = [g for g in Grant.objects.filter(resource=resource, consumer=department, status=GrantStatus.ACTIVE)
            if grant_is_live(g)]
    if live:
        if len(live) == 1:
            return _scope_of_grant(live[0], resource)
        # Several grants: their union; a grant without a row filter opens every row.
        fields = set().union(*(g.fields for g in live))
        clear = set().union(*(g.clear_fields for g in live))
        row_filter = {} if any(not g.row_filter for g in live) else _merge_filters([g.row_filter for g in live])
        ordered = [f for f in field_codes(resource) if f in fields]
        return AccessScope(resource, tuple(ordered), frozenset(clear), row_filter, live[0], "grant", _tags(resource),
                           tuple(live))
    if resource.share_type == ShareType.NONE:
        return None
    if resource.dedicated_departments.filter(pk=department.pk).exists():
        return AccessScope(resource, tuple(field_codes(resource)), frozenset(), {}, None, "dedicated", _tags(resource))
    if resource.share_type == ShareType.UNCONDITIONAL:
        return AccessScope(resource, tuple(field_codes(resource)), frozenset(), {}, None, "unconditional",
                           _tags(resource))
    return None


def _merge_filters(filters: list[dict]) -> dict:
    # Rows allowed by any grant: only a field restricted by every grant stays restricted.
    common = set(filters[0]).intersection(*filters[1:]) if filters else set()
    if len(common) != 1:
        return {}
    name = common.pop()
    return {name: sorted(set().union(*(f[name] for f in filters)))}


def consumers_of(resource: Resource) -> list[Department]:
    """Departments holding a live grant on the resource (registered with the catalog)."""
    on = today()
    ids = (Grant.objects.filter(resource=resource, status=GrantStatus.ACTIVE, starts_on__lte=on, expires_on__gte=on)
           .values_list("consumer_id", flat=True).distinct())
    return list(Department.objects.filter(pk__in=list(ids)))


from .access import (  # noqa: E402  (re-exported: one services module for callers)
    QueryResult,
    access_log,
    download,
    get_receipt,
    query_rows,
)
from .corrections import answer_correction, report_correction  # noqa: E402
from .offline import build_offline_package, open_offline_package, record_handover  # noqa: E402
from .proxy import proxy_call, register_proxy  # noqa: E402
from .push import deliver, replay, retry_due_deliveries, subscribe, unsubscribe  # noqa: E402

__all__ = [
    "AccessScope", "ApplicationInput", "ChannelCut", "QueryResult", "access_log", "access_scope", "answer_correction",
    "build_offline_package", "conclude_negotiation", "consumers_of", "coordinate",
    "check_channel_open", "cut_channel", "delegate_review", "deliver", "download", "end_delegation", "expire_grants",
    "flag_overdue", "get_receipt", "issue_grant_token", "open_dedicated_grant",
    "open_offline_package", "proxy_call", "query_rows", "record_destruction", "record_handover",
    "register_channel_guard", "register_proxy", "replay", "report_correction", "retry_due_deliveries", "review", "review_queue",
    "revoke_grant", "start_negotiation", "submit_application", "subscribe", "unsubscribe", "withdraw",
]
