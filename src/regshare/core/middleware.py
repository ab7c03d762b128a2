from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template.response import TemplateResponse

from .workdays import CalendarYearUnknown

# Paths whose views carry their own access control: the API (ApiAuth with a declared permission),
# Django's admin (staff only), and static files.
SELF_GUARDED_PREFIXES = ("/api/", "/admin/", "/static/")


class DefaultDenyMiddleware:
    """Refuse any page whose view did not declare a permission with ``page_permission``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.path.startswith(SELF_GUARDED_PREFIXES):
            return None
        if getattr(view_func, "regshare_permission", None) is None:
            return HttpResponseForbidden("此页面未声明访问权限,默认拒绝。")
        return None


class CalendarYearUnknownMiddleware:
    """A page whose action needs a deadline in a year without a confirmed holiday schedule answers 400
    with the year and what the admin must do, instead of a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CalendarYearUnknown):
            return None
        response = TemplateResponse(request, "core/calendar_year_unknown.html",
                                    {"year": exception.year, "message": str(exception)}, status=400)
        return response.render()


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response, and ``Cache-Control: no-store`` on every response
    that may carry personal data: anything served to a signed-in person or a token holder, and the
    whole API. Browsers and proxies then keep no copy of it after the person has left the desk."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "REGSHARE_CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        if not request.path.startswith(STATIC_PREFIX) and _may_carry_personal_data(request):
            response["Cache-Control"] = "no-store"
            # Older proxies know only Pragma.
            response["Pragma"] = "no-cache"
        return response


STATIC_PREFIX = "/static/"


def _may_carry_personal_data(request: HttpRequest) -> bool:
    if request.path.startswith("/api/") or "Authorization" in request.headers:
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated
