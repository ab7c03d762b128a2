"""The one permission module: default deny.

``POLICY`` maps a permission name to the roles that hold it. A name that is not in the policy
is held by nobody. Pages declare their permission with ``@page_permission``; API operations with
``auth=allow(...)`` (core.auth); ``DefaultDenyMiddleware`` refuses any page that declared nothing, and a test
walks every page and operation as every role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .labels import permission_label
from .models import ApiToken, Department, Role, User

PUBLIC = "public"
AUTHENTICATED = "authenticated"

ALL_ROLES = frozenset(Role.values)
R = Role

POLICY: dict[str, frozenset[str]] = {
    # core
    "dashboard.view": ALL_ROLES,
    "notifications.view": ALL_ROLES,
    "departments.view": ALL_ROLES,
    "calendar.view": ALL_ROLES,
    "calendar.edit": frozenset({R.PLATFORM_ADMIN}),
    "audit.view": frozenset({R.AUDITOR, R.PLATFORM_ADMIN}),
    "audit.verify": frozenset({R.AUDITOR, R.PLATFORM_ADMIN}),
    "users.view": frozenset({R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN}),
    "users.manage": frozenset({R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN}),
    "departments.manage": frozenset({R.PLATFORM_ADMIN}),
    "tokens.manage": frozenset({R.PLATFORM_ADMIN, R.DEPARTMENT_ADMIN}),
}

# What a system (API token) may be scoped to; people's roles never flow to tokens.
TOKEN_SCOPES: dict[str, str] = {
    "departments.view": "查看部门目录",
    "notifications.view": "读取本部门通知",
}


def register(policy: dict[str, Iterable[str]], token_scopes: dict[str, str] | None = None) -> None:
    """Each domain app adds its permissions here at import time (from its own ``policy.py``)."""
    for name, roles in policy.items():
        POLICY[name] = frozenset(roles)
    TOKEN_SCOPES.update(token_scopes or {})


@dataclass
class Principal:
    """Who is acting: a signed-in person or a department's system holding a token."""

    user: User | None = None
    token: ApiToken | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def department(self) -> Department | None:
        if self.token is not None:
            return self.token.department
        return self.user.department if self.user is not None else None

    @property
    def department_id(self) -> int | None:
        """The acting department's id without loading it (workflow ``may_act`` predicates compare ids)."""
        if self.token is not None:
            return self.token.department_id
        return self.user.department_id if self.user is not None else None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None or self.token is not None

    @classmethod
    def for_user(cls, user: Any) -> Principal:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls()
        return cls(user=user, roles=user.role_set)

    @classmethod
    def for_token(cls, token: ApiToken) -> Principal:
        return cls(token=token)

    def __str__(self) -> str:
        if self.token is not None:
            return f"token:{self.token.prefix}@{self.token.department.code}"
        return f"user:{self.user.username}" if self.user else "anonymous"


def has_perm(principal: Principal, perm: str) -> bool:
    if perm == PUBLIC:
        return True
    if not principal.is_authenticated:
        return False
    if perm == AUTHENTICATED:
        return True
    if principal.token is not None:
        return perm in TOKEN_SCOPES and perm in (principal.token.scopes or ())
    return bool(POLICY.get(perm, frozenset()) & principal.roles)


def is_data_bureau(principal: Principal, *, people_only: bool = False) -> bool:
    """The district data bureau (区数据管理局) or a platform admin: reviews, publishes, sees every department's
    lists. ``people_only``: a token of the bureau's own systems does not count (the catalog's drafts and
    reviews are for people; a system reads through its grant)."""
    if Role.PLATFORM_ADMIN in principal.roles:
        return True
    if people_only and principal.user is None:
        return False
    department = principal.department
    return bool(department is not None and department.is_data_bureau)


def sees_everything(principal: Principal, *, people_only: bool = False) -> bool:
    """The data bureau and auditors (审计员) see every department's items of a list."""
    return is_data_bureau(principal, people_only=people_only) or Role.AUDITOR in principal.roles


def require(principal: Principal, perm: str) -> None:
    if not has_perm(principal, perm):
        raise PermissionDenied(f"无权执行此操作(需要「{permission_label(perm)}」权限)")


def principal_of(request: Any) -> Principal:
    cached = getattr(request, "principal", None)
    if cached is not None:
        return cached
    principal = Principal.for_user(getattr(request, "user", None))
    request.principal = principal
    return principal


def page_permission(perm: str) -> Callable:
    """Declare and enforce the permission of a page view."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            principal = principal_of(request)
            if perm != PUBLIC and not principal.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require(principal, perm)
            return view(request, *args, **kwargs)

        wrapper.regshare_permission = perm
        return wrapper

    return decorate
