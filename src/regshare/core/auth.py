"""The one authentication class of the API.

Every operation names the permission it needs with ``auth=allow("perm")``; authentication and the
permission check both run before the request is parsed, so an unpermitted caller learns nothing
from validation errors. The API's default is ``ApiAuth()`` with no permission, which refuses every
caller: an operation that forgot to declare a permission is closed, not open.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security.http import HttpAuthBase
from ninja.utils import check_csrf

from . import ratelimit, services
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
        limit_api_calls(principal)
        require(principal, self.permission)
        return principal


def limit_api_calls(principal: Principal) -> None:
    """Each token and each signed-in person may make REGSHARE_API_RATE_PER_PRINCIPAL calls."""
    key = f"token:{principal.token.pk}" if principal.token is not None else f"user:{principal.user.pk}"
    ratelimit.check("api", key, settings.REGSHARE_API_RATE_PER_PRINCIPAL,
                    "接口调用过于频繁,已超过每个令牌(或用户)的调用频率限制,请 {retry_after} 秒后再试。")


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
        token = services.authenticate_token(secret.strip(), {"method": request.method, "path": request.path,
                                                              "ip": client_address(request)})
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


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR is the proxy's address behind a proxy; the ASGI server (uvicorn --proxy-headers,
    # trusted proxies only) puts the client's address there, so it is the one address to trust.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(permission: str) -> ApiAuth:
    """``@router.get(..., auth=allow("catalog.view"))``."""
    return ApiAuth(permission)


deny_by_default = ApiAuth()
