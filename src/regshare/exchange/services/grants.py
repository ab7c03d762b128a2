"""Grants (seed 002 第十八条, 第二十二条): dedicated grants, channel cuts, revocation, expiry, destruction
records and grant-bound tokens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from regshare.catalog.models import Resource
from regshare.core import audit, workflow
from regshare.core import services as core
from regshare.core.clock import today
from regshare.core.models import ApiToken
from regshare.core.permissions import Principal, is_data_bureau, require

from ..models import Delivery, DeliveryStatus, Destruction, Grant, GrantStatus, GrantToken
from .applications import field_codes
from .common import _department_of, grant_is_live
from .scope import forget_metadata


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
    return workflow.perform(actor, grant, "revoke", reason=(reason or "").strip())


def expire_grants(on: dt.date | None = None) -> int:
    """End every active grant whose term is over (the scheduler's ``expire`` transition)."""
    on = on or today()
    count = 0
    for grant in Grant.objects.filter(status=GrantStatus.ACTIVE, expires_on__lt=on).select_related("resource"):
        workflow.perform_scheduled(grant, "expire", on=on)
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
