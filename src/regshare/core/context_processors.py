from __future__ import annotations

from django.http import HttpRequest

from .navigation import menu_for
from .permissions import principal_of
from .services import unread_count


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_menu": [], "unread_notifications": 0}
    principal = principal_of(request)
    return {"nav_menu": menu_for(principal, request.path), "unread_notifications": unread_count(user)}
