from __future__ import annotations

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
