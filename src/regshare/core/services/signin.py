"""Sign-in, lock-out after failed attempts, sign-out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from .. import audit
from ..models import User


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
