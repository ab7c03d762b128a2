"""Core rules: sign-in and lock-out, API tokens, notifications, the calendar override table, people."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.signals import post_delete, post_save
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from . import audit, caches, workdays
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
from .ratelimit import note_rejected_token

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
    check_calendar_year_entered(year)
    with transaction.atomic():
        entry, _ = CalendarYear.objects.update_or_create(year=year, defaults={"note": note[:200],
                                                                               "entered_by": actor.user})
        audit.record(actor, "calendar.year", entry, {"year": year, "note": note})
    return entry


def check_calendar_year_entered(year: int) -> None:
    """Refuse to confirm a year that is out of range or has no holidays entered (page and command line alike)."""
    if not 2000 <= year <= 2100:
        raise ValidationError("年份须在 2000 到 2100 之间", code="bad_year")
    # Every year has statutory holidays on weekdays (元旦 at least); confirming a year with none entered
    # would silently make it a plain Monday-to-Friday year.
    if not workdays.in_library(year) and not WorkdayOverride.objects.filter(
            date__year=year, is_workday=False).exists():
        raise ValidationError(f"尚未录入{year}年的放假日期,不能确认该年。请先导入国务院办公厅公布的{year}年"
                              "放假和调休安排并核对。", code="calendar_year_empty")


CALENDAR_KINDS = {"放假": False, "休息": False, "休息日": False, "调休上班": True, "上班": True, "工作日": True}
CALENDAR_FILE_MAX_BYTES = 1024 * 1024
CALENDAR_MAX_LINES = 366


@dataclass
class ScheduleLine:
    date: dt.date
    is_workday: bool
    note: str = ""


def _calendar_rows(content: bytes, filename: str) -> list[list[str]]:
    if len(content) > CALENDAR_FILE_MAX_BYTES:
        raise ValidationError("文件超过 1 MB,放假安排只需日期和类型两列", code="file_too_large")
    if filename.lower().endswith((".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=True, nrows=CALENDAR_MAX_LINES + 2)
        except Exception as exc:  # calamine raises its own error types for every unreadable file
            raise ValidationError("无法读取该 Excel 文件,请上传 .xlsx 或 CSV 文件", code="unreadable_file") from exc
        return [[c.isoformat()[:10] if isinstance(c, dt.date) else str(c).strip() for c in row] for row in rows]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError("无法识别文件编码,请保存为 UTF-8 或 GBK 编码的 CSV", code="unreadable_file")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def parse_calendar_schedule(year: int, content: bytes, filename: str = "schedule.csv") -> list[ScheduleLine]:
    """Lines ``日期,类型[,说明]`` (类型 放假 or 调休上班) of one year, from CSV text or an Excel sheet.

    All or nothing: any bad line refuses the whole file with every problem listed by line number.
    """
    lines: list[ScheduleLine] = []
    problems: list[str] = []
    seen: dict[dt.date, int] = {}
    for number, row in enumerate(_calendar_rows(content, filename), start=1):
        if not any(row):
            continue
        if number == 1 and row[0] in ("日期", "date"):
            continue
        if len(row) < 2:
            problems.append(f"第 {number} 行:应为「日期,类型」两列")
            continue
        try:
            parts = [int(p) for p in row[0].replace("/", "-").split(" ")[0].split("-")]
            day = dt.date(*parts) if len(parts) == 3 else None
        except ValueError:
            day = None
        if day is None:
            problems.append(f"第 {number} 行:日期「{row[0][:20]}」不是 YYYY-MM-DD 格式")
            continue
        if day.year != year:
            problems.append(f"第 {number} 行:{day} 不属于{year}年")
            continue
        if row[1] not in CALENDAR_KINDS:
            problems.append(f"第 {number} 行:类型「{row[1][:20]}」应为「放假」或「调休上班」")
            continue
        if day in seen:
            problems.append(f"第 {number} 行:{day} 与第 {seen[day]} 行重复")
            continue
        seen[day] = number
        lines.append(ScheduleLine(day, CALENDAR_KINDS[row[1]], (row[2] if len(row) > 2 else "")[:200]))
    if len(lines) > CALENDAR_MAX_LINES:
        problems.insert(0, f"日期超过 {CALENDAR_MAX_LINES} 行")
    if not lines and not problems:
        problems.append("文件中没有日期")
    if problems:
        shown = problems[:20] + ([f"……另有 {len(problems) - 20} 处问题"] if len(problems) > 20 else [])
        raise ValidationError("放假安排未导入:" + ";".join(shown), code="bad_schedule")
    return lines


def import_calendar_schedule(actor: Principal, year: int, lines: list[ScheduleLine], note: str = "") -> int:
    """Replace ``year``'s 放假/调休 dates with the published schedule; a draft until the year is confirmed."""
    require(actor, "calendar.edit")
    if workdays.in_library(year):
        raise ValidationError(f"{year}年的安排已由 chinesecalendar 提供;个别日期请用「新增调整」修改",
                              code="calendar_year_in_library")
    if CalendarYear.objects.filter(year=year).exists():
        raise ValidationError(f"{year}年已确认,期限正在使用它;个别日期请用「新增调整」修改",
                              code="calendar_year_confirmed")
    with transaction.atomic():
        WorkdayOverride.objects.filter(date__year=year).delete()
        WorkdayOverride.objects.bulk_create([
            WorkdayOverride(date=line.date, is_workday=line.is_workday, entered_by=actor.user,
                            note=line.note or ("调休上班" if line.is_workday else "放假") + (f"({note})" if note else ""))
            for line in lines])
        audit.record(actor, "calendar.import", f"year:{year}", {
            "year": year, "note": note, "holidays": sum(not line.is_workday for line in lines),
            "workdays": sum(line.is_workday for line in lines)})
    return len(lines)


def warn_unconfirmed_next_year(today: dt.date | None = None) -> int | None:
    """From 1 November, tell every platform admin once that next year's schedule is not confirmed.

    Returns the year warned about, or None when there was nothing (new) to say.
    """
    today = today or timezone.localdate()
    year = workdays.unconfirmed_next_year(today)
    kind = f"calendar.unconfirmed.{year}"
    if year is None or Notification.objects.filter(kind=kind).exists():
        return None
    admins = [u for u in User.objects.filter(is_active=True) if Role.PLATFORM_ADMIN in u.role_set]
    with transaction.atomic():
        for admin in admins:
            notify_user(admin, kind, f"{year}年节假日安排尚未确认,{year}年的期限将无法计算",
                        f"chinesecalendar 尚未收录{year}年。请在国务院办公厅公布{year}年部分节假日安排后,"
                        f"在「工作日日历」页面导入放假和调休日期,核对后确认该年;"
                        f"确认前,凡落在{year}年的期限都会被拒绝计算。", _calendar_link())
        audit.record("system", "calendar.unconfirmed_warning", f"year:{year}", {"admins": len(admins)})
    return year


def _calendar_link() -> str:
    try:
        return reverse("core:calendar")
    except NoReverseMatch:  # URLs not loaded (a command run without the web layer)
        return ""


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
