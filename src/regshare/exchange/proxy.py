"""接口代理: a provider's own HTTP service registered as a resource; consumers call it through the
platform with the same token, grant, field limits, masking, audit and receipts.

The provider's service answers JSON: a list of objects, or an object with ``rows``/``data``/``items``
holding that list (or a single object). The consumer receives the same shape rebuilt from the rows
alone: rows outside the grant's row filter are dropped, each row keeps only its granted fields with
plain (non-nested) values, tagged fields are masked, and every other key of the provider's envelope
(totals, messages, debug data) is dropped, since nothing in it has passed the grant.
"""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from regshare.catalog.models import Resource
from regshare.core import audit, egress
from regshare.core.lazy import lazy_module
from regshare.core.permissions import Principal, require

from .models import ProxyEndpoint

ninja_errors = lazy_module("ninja.errors")

httpx = lazy_module("httpx")

ROW_KEYS = ("rows", "data", "items")
PURPOSE = "代理接口"


def register_proxy(actor: Principal, resource: Resource, base_url: str, timeout: float = 10.0) -> ProxyEndpoint:
    require(actor, "exchange.provide")
    if actor.department is None or actor.department.pk != resource.provider_id:
        raise PermissionDenied("只有提供部门可以登记代理接口")
    base_url = (base_url or "").strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")) or len(base_url) > 500:
        raise ValidationError("服务地址须为 http(s) 地址", code="bad_url")
    egress.check_url(base_url, purpose=PURPOSE)
    if not 0.5 <= timeout <= 60:
        raise ValidationError("超时须在 0.5 到 60 秒之间", code="bad_timeout")
    with transaction.atomic():
        endpoint, _ = ProxyEndpoint.objects.update_or_create(
            resource=resource, defaults={"base_url": base_url, "timeout": timeout, "registered_by": actor.user})
        audit.record(actor, "exchange.proxy.register", resource, {"url": base_url})
    return endpoint


def _rows_of(payload) -> tuple[list[dict], str | None]:
    if isinstance(payload, list):
        return [r for r in payload if isinstance(r, dict)], None
    if isinstance(payload, dict):
        for key in ROW_KEYS:
            if isinstance(payload.get(key), list):
                return [r for r in payload[key] if isinstance(r, dict)], key
        return [payload], ""
    raise ninja_errors.HttpError(502, "提供部门接口返回的不是 JSON 对象或数组")


SCALARS = (str, int, float, bool, type(None))


def _granted_rows(rows: list[dict], scope) -> list[dict]:
    """Rows as the grants let the consumer see them, each grant on its own (``access.secure_row``).

    Nested objects and lists are dropped first, even under a granted name: masking works on one
    value, and whatever the provider nests inside has not passed the grant. The row filters are then
    judged on the whole plain row, so they also work on a field the grant limits rows by but does not
    show; a row no grant reaches is dropped."""
    from .access import secure_row

    plain = ({k: v for k, v in row.items() if isinstance(v, SCALARS)} for row in rows)
    secured = (secure_row(scope, row, scope.tags) for row in plain)
    return [row for row in secured if row]


def proxy_call(principal: Principal, resource: Resource, path: str, params: dict, *,
               want_receipt: bool = False) -> tuple[object, dict | None]:
    """Forward a GET to the provider's service and return (masked payload, signed receipt or None)."""
    from .access import _record_access, _scope

    scope = _scope(principal, resource)
    endpoint = ProxyEndpoint.objects.filter(resource=resource).first()
    if endpoint is None:
        raise ValidationError("该资源未登记代理接口", code="no_proxy")
    path = (path or "").lstrip("/")
    if ".." in path.split("/"):
        raise ValidationError("路径不合法", code="bad_path")
    forwarded = {k: v for k, v in params.items() if k != "receipt"}
    for name in forwarded:
        if name not in scope.fields:
            raise ValidationError(f"数据项 {name} 未获授权,不能用于查询", code="field_not_granted")
    for name, allowed in scope.row_filter.items():
        if name not in forwarded or forwarded[name] not in allowed:
            raise ValidationError(f"授权限定了 {name} 的取值,请在查询中指明允许的值", code="row_filter")
    url = f"{endpoint.base_url}/{path}" if path else endpoint.base_url
    # Checked again on every call: the allow-list or the name's DNS answer may have changed since registration.
    egress.check_url(url, purpose=PURPOSE)
    try:
        with egress.http_client(purpose=PURPOSE, timeout=endpoint.timeout) as client:
            response = client.get(url, params=forwarded)
    except httpx.HTTPError as exc:
        raise ninja_errors.HttpError(502, f"提供部门接口不可用: {type(exc).__name__}") from exc
    if response.status_code >= 300:
        raise ninja_errors.HttpError(502, f"提供部门接口返回 HTTP {response.status_code},未转发")
    try:
        payload = response.json()
    except ValueError as exc:
        raise ninja_errors.HttpError(502, "提供部门接口返回的不是 JSON") from exc
    rows, key = _rows_of(payload)
    rows = _granted_rows(rows, scope)
    if key is None:
        result: object = rows
    elif key == "":
        result = rows[0] if rows else {}
    else:
        result = {key: rows}
    digest = hashlib.sha256(json.dumps(result, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
    query = {"path": path, **forwarded}
    signed = _record_access(principal, scope, None, query, len(rows), digest, "proxy", want_receipt)
    return result, signed
