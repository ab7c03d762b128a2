"""The one authentication class of the API: a department system's bearer token, or a person's session."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from . import services
from .permissions import Principal

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ApiAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Principal | None:
        if request.headers.get("Authorization"):
            return super().__call__(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            return None
        request.principal = Principal.for_user(user)
        return request.principal

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        api_token = services.authenticate_token(token.strip())
        if api_token is None:
            return None
        request.principal = Principal.for_token(api_token)
        return request.principal


api_auth = ApiAuth()
