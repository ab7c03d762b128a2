"""Core rules: sign-in and lock-out, API tokens, notifications, the calendar override table, people."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from . import audit
from .models import (
    ApiToken,
    CalendarYear,
    Department,
    Notification,
    NotificationRead,
    Role,
    User,
    WorkdayOverride,
)
from .permissions import TOKEN_SCOPES, Principal, require
from .prepared import Prepared

# ----------------------------------------------------------------------------- sign-in


@dataclass
class LoginOutcome:
    user: User | None
    message: str = ""


def attempt_login(request, username: str, password: str) -> LoginOutcome:
    """Check a password; five failures lock the account for fifteen minutes. Every try is audited."""
    username = (username or "").strip()
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    known = User.objects.filter(username=username).first()
    now = timezone.now()
    if known is not None and known.locked_until and known.locked_until > now:
        minutes = max(1, int((known.locked_until - now).total_seconds() // 60) + 1)
        audit.record(f"user:{username}", "login.locked", known, {"ip": ip})
        return LoginOutcome(None, f"账号因连续登录失败已被锁定,请 {minutes} 分钟后再试,或联系部门管理员。")
    user = authenticate(request, username=username, password=password)
    if user is None:
        with transaction.atomic():
            if known is not None:
                known = User.objects.select_for_update().get(pk=known.pk)
                known.failed_logins += 1
                if known.failed_logins >= settings.REGSHARE_LOCKOUT_ATTEMPTS:
                    known.locked_until = now + dt.timedelta(minutes=settings.REGSHARE_LOCKOUT_MINUTES)
                    known.failed_logins = 0
                known.save(update_fields=["failed_logins", "locked_until"])
            audit.record(f"user:{username}"[:150], "login.failed", known, {"ip": ip})
        if known is not None and known.locked_until and known.locked_until > now:
            return LoginOutcome(None, f"连续 {settings.REGSHARE_LOCKOUT_ATTEMPTS} 次登录失败,账号已锁定 "
                                      f"{settings.REGSHARE_LOCKOUT_MINUTES} 分钟。")
        return LoginOutcome(None, "用户名或密码错误。")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        audit.record(user, "login.success", user, {"ip": ip})
    return LoginOutcome(user)


def record_logout(user: User) -> None:
    audit.record(user, "logout", user)


# ----------------------------------------------------------------------------- API tokens

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
    if token is None:
        audit.record("token:unknown", "token.rejected", secret[len(TOKEN_PREFIX):][:8], {"reason": "unknown"})
        return None
    if token.revoked_at or token.expires_at <= now:
        audit.record(f"token:{token.prefix}", "token.rejected", token,
                     {"reason": "revoked" if token.revoked_at else "expired"})
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


def _token_by_hash(secret_hash: str) -> ApiToken | None:
    token = _TOKEN_BY_HASH.first(secret_hash)
    if token is not None:
        token.department = _department(token.department_id)
    return token


_DEPARTMENT_CACHE: dict[int, tuple[float, Department]] = {}
_DEPARTMENT_CACHE_SECONDS = 60.0


def _department(pk: int) -> Department:
    """Departments change a few times a year; a token's department may be a minute stale."""
    now = time.monotonic()
    cached = _DEPARTMENT_CACHE.get(pk)
    if cached is None or now - cached[0] > _DEPARTMENT_CACHE_SECONDS:
        cached = (now, Department.objects.get(pk=pk))
        _DEPARTMENT_CACHE[pk] = cached
    return cached[1]


def tokens_visible_to(actor: Principal) -> QuerySet[ApiToken]:
    require(actor, "tokens.manage")
    tokens = ApiToken.objects.select_related("department", "created_by")
    if Role.PLATFORM_ADMIN in actor.roles:
        return tokens
    return tokens.filter(department=actor.department)


def _check_department_admin(actor: Principal, department: Department) -> None:
    if Role.PLATFORM_ADMIN in actor.roles:
        return
    if actor.department is None or actor.department.pk != department.pk:
        raise PermissionDenied("部门管理员只能管理本部门的令牌和用户")


# ----------------------------------------------------------------------------- notifications


def notify_user(user: User, kind: str, title: str, body: str = "", link: str = "") -> Notification:
    return Notification.objects.create(user=user, kind=kind, title=title[:200], body=body, link=link)


def notify_department(department: Department, kind: str, title: str, body: str = "", link: str = "") -> Notification:
    return Notification.objects.create(department=department, kind=kind, title=title[:200], body=body, link=link)


def notify_data_bureau(kind: str, title: str, body: str = "", link: str = "") -> list[Notification]:
    return [notify_department(d, kind, title, body, link) for d in Department.objects.filter(is_data_bureau=True)]


def inbox(user: User) -> QuerySet[Notification]:
    """Notifications addressed to the user or to the user's department, newest first, with ``is_read``."""
    addressed = Q(user=user)
    if user.department_id:
        addressed |= Q(department_id=user.department_id)
    read = NotificationRead.objects.filter(notification=OuterRef("pk"), user=user)
    return Notification.objects.filter(addressed).annotate(is_read=Exists(read))


def inbox_of(principal: Principal) -> QuerySet[Notification]:
    """A person's inbox; a department system's token reads what is addressed to its department, and has no
    read state of its own (read marks belong to people)."""
    if principal.user is not None:
        return inbox(principal.user)
    addressed = Notification.objects.filter(department=principal.department) if principal.department else (
        Notification.objects.none())
    return addressed.annotate(is_read=Value(False, output_field=BooleanField()))


def mark_read_by(principal: Principal, notification_ids: list[int] | None = None) -> int:
    if principal.user is None:
        raise ValidationError("接口令牌没有已读状态:通知由本部门人员登录后标记已读", code="no_read_state")
    return mark_read(principal.user, notification_ids)


def unread_count(user: User) -> int:
    return inbox(user).filter(is_read=False).count()


def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or all, when ``notification_ids`` is None) of the user's notifications read."""
    unread = inbox(user).filter(is_read=False)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    rows = [NotificationRead(notification_id=pk, user=user) for pk in unread.values_list("pk", flat=True)]
    NotificationRead.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# ----------------------------------------------------------------------------- calendar


def set_workday_override(actor: Principal, day: dt.date, is_workday: bool, note: str = "") -> WorkdayOverride:
    require(actor, "calendar.edit")
    with transaction.atomic():
        override, _ = WorkdayOverride.objects.update_or_create(
            date=day, defaults={"is_workday": is_workday, "note": note[:200], "entered_by": actor.user})
        audit.record(actor, "calendar.override", override, {"date": day, "is_workday": is_workday, "note": note})
    return override


def delete_workday_override(actor: Principal, override: WorkdayOverride) -> None:
    require(actor, "calendar.edit")
    with transaction.atomic():
        audit.record(actor, "calendar.override.delete", override, {"date": override.date})
        override.delete()


def declare_calendar_year(actor: Principal, year: int, note: str = "") -> CalendarYear:
    """Confirm that a year's holidays and 调休 have been entered by hand, so deadlines may use it."""
    require(actor, "calendar.edit")
    if not 2000 <= year <= 2100:
        raise ValidationError("年份须在 2000 到 2100 之间")
    with transaction.atomic():
        entry, _ = CalendarYear.objects.update_or_create(year=year, defaults={"note": note[:200],
                                                                               "entered_by": actor.user})
        audit.record(actor, "calendar.year", entry, {"year": year, "note": note})
    return entry


# ----------------------------------------------------------------------------- people


def create_user(actor: Principal, *, username: str, password: str, full_name: str, department: Department,
                roles: list[str]) -> User:
    require(actor, "users.manage")
    _check_department_admin(actor, department)
    bad = sorted(set(roles) - set(Role.values))
    if bad:
        raise ValidationError(f"未知的角色: {', '.join(bad)}")
    if Role.PLATFORM_ADMIN in roles and Role.PLATFORM_ADMIN not in actor.roles:
        raise PermissionDenied("只有平台管理员可以授予平台管理员角色")
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"用户名 {username} 已存在")
    with transaction.atomic():
        user = User(username=username, full_name=full_name, department=department, roles=sorted(set(roles)),
                    is_staff=Role.PLATFORM_ADMIN in roles)
        user.set_password(password)
        user.save()
        audit.record(actor, "user.create", user, {"department": department.code, "roles": user.roles})
    return user


def set_roles(actor: Principal, user: User, roles: list[str]) -> User:
    require(actor, "users.manage")
    _check_department_admin(actor, user.department)
    bad = sorted(set(roles) - set(Role.values))
    if bad:
        raise ValidationError(f"未知的角色: {', '.join(bad)}")
    if (Role.PLATFORM_ADMIN in roles) != (Role.PLATFORM_ADMIN in user.roles) and Role.PLATFORM_ADMIN not in actor.roles:
        raise PermissionDenied("只有平台管理员可以授予或收回平台管理员角色")
    with transaction.atomic():
        before = list(user.roles)
        user.roles = sorted(set(roles))
        user.is_staff = Role.PLATFORM_ADMIN in user.roles
        user.save(update_fields=["roles", "is_staff"])
        audit.record(actor, "user.roles", user, {"before": before, "after": user.roles})
    return user


def unlock_user(actor: Principal, user: User) -> None:
    require(actor, "users.manage")
    _check_department_admin(actor, user.department)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        audit.record(actor, "user.unlock", user)


def users_with_role(department: Department, role: str) -> list[User]:
    return [u for u in department.users.filter(is_active=True) if role in u.role_set]
