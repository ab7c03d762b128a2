"""API tokens: issue, revoke, and authenticate a bearer secret (cached for a few seconds per process)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .. import audit, caches
from ..models import ApiToken, Department, Role
from ..permissions import TOKEN_SCOPES, Principal, require
from ..prepared import Prepared
from ..ratelimit import note_rejected_token

TOKEN_PREFIX = "rs_"


def _hash_secret(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough; a slow KDF would only
    # slow every API call down.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class IssuedToken:
    token: ApiToken
    secret: str


def issue_token(actor: Principal, *, department: Department, name: str, scopes: list[str],
                days_valid: int = 365) -> IssuedToken:
    """Create a token; the secret is returned once and never stored."""
    require(actor, "tokens.manage")
    _check_department_admin(actor, department)
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if unknown:
        raise ValidationError(f"未知的权限范围: {', '.join(unknown)}")
    if not scopes:
        raise ValidationError("请至少选择一个权限范围")
    if not 1 <= days_valid <= 730:
        raise ValidationError("有效期须在 1 到 730 天之间")
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写令牌名称")
    body = secrets.token_urlsafe(32)
    secret = f"{TOKEN_PREFIX}{body}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name, department=department, created_by=actor.user, prefix=body[:8],
            secret_hash=_hash_secret(secret), scopes=sorted(set(scopes)),
            expires_at=timezone.now() + dt.timedelta(days=days_valid),
        )
        audit.record(actor, "token.issue", token, {"department": department.code, "scopes": token.scopes,
                                                   "expires_at": token.expires_at})
    return IssuedToken(token, secret)


def revoke_token(actor: Principal, token: ApiToken) -> None:
    require(actor, "tokens.manage")
    _check_department_admin(actor, token.department)
    if token.revoked_at:
        raise ValidationError("该令牌已被吊销")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "token.revoke", token)


TOKEN_USE_AUDIT_INTERVAL = dt.timedelta(minutes=1)


def authenticate_token(secret: str, context: dict | None = None) -> ApiToken | None:
    """The token behind a presented secret, if it is valid now. Use is audited."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = _token_by_hash(_hash_secret(secret))
    now = timezone.now()
    # Rejections are counted per source and minute (core.ratelimit), not one chain record each.
    source = (context or {}).get("ip") or "unknown"
    if token is None:
        note_rejected_token(source, "token:unknown", "unknown", secret[len(TOKEN_PREFIX):][:8])
        return None
    if token.revoked_at or token.expires_at <= now:
        note_rejected_token(source, f"token:{token.prefix}", "revoked" if token.revoked_at else "expired", token)
        return None
    # Token use is recorded once per token per minute: each data read is audited by the service
    # that serves it, so a record per request here would only double the chain's write load.
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_AUDIT_INTERVAL:
        with transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            audit.record(f"token:{token.prefix}@{token.department.code}", "token.use", token, context or {})
        token.last_used_at = now
    return token


# Runs on every API call made with a token: compiled once (see core.prepared).
_TOKEN_BY_HASH = Prepared(lambda secret_hash: ApiToken.objects.filter(secret_hash=secret_hash), "str")


# Tokens by secret hash, read on every API call. Building the model instance costs several times the
# query, so each process keeps the instance and, on every call, re-reads only the columns that can take a
# token away or change what it may do (expiry, revocation, scopes, department) with one indexed raw query:
# an instance whose row changed is rebuilt, so a revocation anywhere counts at the next call, as before.
_tokens: TTLCache = TTLCache(maxsize=4096, ttl=300)
_tokens_lock = threading.Lock()


def _token_state(secret_hash: str) -> tuple | None:
    from django.db import connection

    table = ApiToken._meta.db_table
    mark = "?" if connection.vendor == "sqlite" else "%s"
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"SELECT id, expires_at, revoked_at, scopes, department_id FROM {table} "
                       f"WHERE secret_hash = {mark}", [secret_hash])
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else tuple(str(v) for v in row)


def _token_by_hash(secret_hash: str) -> ApiToken | None:
    state = _token_state(secret_hash)
    if state is None:
        return None
    with _tokens_lock:
        hit = _tokens.get(secret_hash)
    if hit is not None and hit[1] == state:
        return hit[0]
    # Read after the state: if the row changes in between, the state kept is the older one and the next
    # call rebuilds the instance again.
    token = _TOKEN_BY_HASH.first(secret_hash)
    if token is None:
        return None
    token.department = _department(token.department_id)
    with _tokens_lock:
        _tokens[secret_hash] = (token, state)
    return token


def forget_tokens(*_args, **_kwargs) -> None:
    with _tokens_lock:
        _tokens.clear()


post_save.connect(forget_tokens, sender=ApiToken, dispatch_uid="regshare.core.forget_tokens.save")
post_delete.connect(forget_tokens, sender=ApiToken, dispatch_uid="regshare.core.forget_tokens.delete")


_DEPARTMENTS = caches.ttl_cache(maxsize=1024, seconds=60.0)


def _department(pk: int) -> Department:
    """Departments change a few times a year; a token's department may be a minute stale."""
    return caches.get_or_load(_DEPARTMENTS, pk, lambda: Department.objects.get(pk=pk))


def _check_department_admin(actor: Principal, department: Department) -> None:
    if Role.PLATFORM_ADMIN in actor.roles:
        return
    if actor.department is None or actor.department.pk != department.pk:
        raise PermissionDenied("部门管理员只能管理本部门的令牌和用户")
