"""People: accounts, roles, unlocking."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import audit
from ..models import Department, Role, User
from ..permissions import Principal, require
from .tokens import _check_department_admin


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
