"""增量更新实时推送: each new version's changed rows, masked per grant, POSTed to the subscriber's
webhook with an HMAC-SHA256 signature; per-subscriber offsets, retries with exponential backoff and
replay from any version.

Signature: header ``X-Regshare-Signature: sha256=<hex HMAC of the raw body with the subscription
secret>``; ``X-Regshare-Delivery`` carries the delivery id so a receiver can drop duplicates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from regshare.core import audit, egress
from regshare.core.lazy import lazy_module
from regshare.core.permissions import Principal, require
from regshare.lake import tables as lake

from .masking import mask_table
from .models import Delivery, DeliveryStatus, Grant, Subscription

httpx = lazy_module("httpx")
pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 30
TIMEOUT = 10.0
PURPOSE = "回调地址"


def sign_body(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def subscribe(actor: Principal, grant: Grant, url: str, *, from_version: int | None = None) -> Subscription:
    from .services import check_channel_open, grant_is_live

    require(actor, "exchange.subscribe")
    if actor.department is None or actor.department.pk != grant.consumer_id:
        raise PermissionDenied("只能为本部门的授权订阅增量更新")
    if actor.token is not None:
        binding = getattr(actor.token, "grant_binding", None)
        if binding is None or binding.grant_id != grant.pk:
            raise PermissionDenied("令牌未绑定该授权")
    if not grant_is_live(grant):
        raise ValidationError("授权未生效或已终止", code="grant_not_active")
    check_channel_open(grant)
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        raise ValidationError("回调地址须为 http(s) 地址", code="bad_url")
    egress.check_url(url, purpose=PURPOSE)
    current = lake.current_version(grant.resource.code)
    start = current if from_version is None else from_version - 1
    if current is not None and from_version is not None and not 0 <= from_version <= current:
        raise ValidationError(f"版本 {from_version} 不存在", code="bad_version")
    with transaction.atomic():
        subscription = Subscription.objects.create(
            grant=grant, url=url, secret=secrets.token_urlsafe(32),
            delivered_version=-1 if start is None else start, created_by=actor.user)
        audit.record(actor, "exchange.subscribe", subscription, {"grant": grant.pk, "url": url,
                                                                 "from": subscription.delivered_version + 1})
    if current is not None and subscription.delivered_version < current:
        deliver(subscription.pk)
    return subscription


def unsubscribe(actor: Principal, subscription: Subscription) -> None:
    require(actor, "exchange.subscribe")
    if actor.department is None or actor.department.pk != subscription.grant.consumer_id:
        raise PermissionDenied("只能取消本部门的订阅")
    with transaction.atomic():
        subscription.active = False
        subscription.save(update_fields=["active"])
        audit.record(actor, "exchange.unsubscribe", subscription)


def replay(actor: Principal, subscription: Subscription, from_version: int) -> Subscription:
    """Deliver again every change since ``from_version`` (e.g. after the receiver lost data)."""
    require(actor, "exchange.subscribe")
    if actor.department is None or actor.department.pk != subscription.grant.consumer_id:
        raise PermissionDenied("只能重放本部门的订阅")
    if not subscription.active:
        raise ValidationError("订阅已停止", code="subscription_inactive")
    current = lake.current_version(subscription.grant.resource.code)
    if current is None or not 0 <= from_version <= current:
        raise ValidationError(f"版本 {from_version} 不存在", code="bad_version")
    with transaction.atomic():
        subscription.delivered_version = from_version - 1
        subscription.save(update_fields=["delivered_version"])
        audit.record(actor, "exchange.replay", subscription, {"from": from_version})
    deliver(subscription.pk)
    subscription.refresh_from_db()
    return subscription


def on_version_written(resource_code: str, version: int, mode: str) -> None:
    """Lake hook: queue a delivery for every live subscription of the resource."""
    from .tasks import deliver_task

    for pk in Subscription.objects.filter(active=True, grant__resource__code=resource_code,
                                          delivered_version__lt=version).values_list("pk", flat=True):
        deliver_task(pk)


def _changed_rows(subscription: Subscription, from_version: int, to_version: int) -> pa.Table:
    grant = subscription.grant
    resource = grant.resource
    if from_version < 0:
        table = lake.read(resource.code, version=to_version)
        table = table.append_column("_change_type", pa.array(["insert"] * table.num_rows, pa.string()))
    else:
        table = lake.changes(resource.code, from_version, to_version)
    for name, allowed in (grant.row_filter or {}).items():
        table = table.filter(pc.is_in(pc.cast(table.column(name), pa.string()), pa.array(allowed, pa.string())))
    columns = [f for f in grant.fields if f in table.column_names] + ["_change_type"]
    tags = dict(resource.fields.values_list("code_name", "tag"))
    return mask_table(table.select(columns), tags, set(grant.clear_fields))


def deliver(subscription_id: int, *, now: dt.datetime | None = None) -> Delivery | None:
    """Send the changes since the subscriber's offset up to the current version, once."""
    from .access import _jsonable
    from .services import grant_is_live

    subscription = Subscription.objects.select_related("grant", "grant__resource").filter(pk=subscription_id).first()
    if subscription is None or not subscription.active or not grant_is_live(subscription.grant):
        return None
    code = subscription.grant.resource.code
    current = lake.current_version(code)
    if current is None or subscription.delivered_version >= current:
        return None
    start = subscription.delivered_version
    delivery = Delivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).first()
    if delivery is None:
        delivery = Delivery.objects.create(subscription=subscription, from_version=start, version=current)
    else:
        delivery.from_version, delivery.version = start, current
    table = _changed_rows(subscription, start, current)
    rows = _jsonable(table)
    body = json.dumps({"subscription": subscription.pk, "delivery": delivery.pk, "resource": code,
                       "from_version": start, "version": current, "rows": rows},
                      ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json; charset=utf-8",
               "X-Regshare-Signature": sign_body(subscription.secret, body),
               "X-Regshare-Delivery": str(delivery.pk)}
    delivery.attempts += 1
    delivery.rows = len(rows)
    error = ""
    try:
        # Checked again at every delivery: the allow-list or the name's DNS answer may have changed.
        egress.check_url(subscription.url, purpose=PURPOSE)
        with egress.http_client(purpose=PURPOSE, timeout=TIMEOUT) as client:
            response = client.post(subscription.url, content=body, headers=headers)
        if response.status_code >= 300:
            error = f"HTTP {response.status_code}"
    except egress.EgressForbidden as exc:
        error = ";".join(exc.messages)[:500]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    now = now or timezone.now()
    with transaction.atomic():
        if error:
            delivery.last_error = error
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            else:
                delivery.next_attempt_at = now + dt.timedelta(seconds=BACKOFF_SECONDS * 2 ** (delivery.attempts - 1))
            delivery.save()
            audit.record("system", "exchange.push.failed", subscription,
                         {"version": current, "attempts": delivery.attempts, "error": error})
        else:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at, delivery.last_error = (
                DeliveryStatus.DELIVERED, now, None, "")
            delivery.save()
            Subscription.objects.filter(pk=subscription.pk).update(delivered_version=current)
            audit.record("system", "exchange.access.push", f"resource:{code}",
                         {"grant": subscription.grant_id, "subscription": subscription.pk, "from": start,
                          "version": current, "rows": len(rows),
                          "sha256": hashlib.sha256(body).hexdigest()})
    return delivery


def retry_due_deliveries(now: dt.datetime | None = None) -> int:
    """Periodic: retry every pending delivery whose backoff has elapsed."""
    now = now or timezone.now()
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).values_list(
        "subscription_id", flat=True)
    count = 0
    for subscription_id in set(due):
        deliver(subscription_id, now=now)
        count += 1
    return count
