"""The one authentication class of the API.

Every operation names the permission it needs with ``auth=allow("perm")``; authentication and the
permission check both run before the request is parsed, so an unpermitted caller learns nothing
from validation errors. The API's default is ``ApiAuth()`` with no permission, which refuses every
caller: an operation that forgot to declare a permission is closed, not open.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security.http import HttpAuthBase
from ninja.utils import check_csrf

from . import services
from .permissions import PUBLIC, Principal, require

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ApiAuth(HttpAuthBase):
    """A department system's bearer token, or a signed-in person's session (with CSRF on writes)."""

    openapi_scheme = "bearer"

    def __init__(self, permission: str | None = None) -> None:
        self.permission = permission
        super().__init__()

    def __call__(self, request: HttpRequest) -> Principal | None:
        principal = identify(request)
        if self.permission == PUBLIC:
            return principal or Principal()
        if principal is None:
            return None
        if self.permission is None:
            raise PermissionDenied("此接口未声明访问权限,默认拒绝")
        require(principal, self.permission)
        return principal


def identify(request: HttpRequest) -> Principal | None:
    cached = getattr(request, "principal", None)
    if cached is not None and cached.is_authenticated:
        return cached
    header = request.headers.get("Authorization", "")
    principal = None
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        token = services.authenticate_token(secret.strip(), {"method": request.method, "path": request.path})
        if token is not None:
            principal = Principal.for_token(token)
    else:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            return None
        principal = Principal.for_user(user)
    request.principal = principal
    return principal


def allow(permission: str) -> ApiAuth:
    """``@router.get(..., auth=allow("catalog.view"))``."""
    return ApiAuth(permission)


deny_by_default = ApiAuth()
