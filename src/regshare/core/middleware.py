from __future__ import annotations

import json
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
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


# Deeper than any request of the API needs; Python's JSON parser and pydantic recurse per level, and a body
# nested thousands deep ended in RecursionError (a 500).
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
# A \uD800–\uDFFF escape: half of a UTF-16 pair, which json.loads turns into a lone surrogate if unpaired.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# The NUL character is valid JSON and URL text, but PostgreSQL's text columns refuse it.
_NUL_ESCAPE = rb"\u0000"
SURROGATE_MESSAGE = "请求内容含无效字符(不成对的 UTF-16 代理码位,如 \\ud800),请检查文本编码"
NUL_MESSAGE = "请求内容含空字符(\\u0000),请检查文本"


def json_body_problem(body: bytes) -> tuple[str, str] | None:
    """Why a JSON request body cannot be taken (code, Chinese message), or None when it can be parsed as usual."""
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH:
        depth = 0
        for bracket in _BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
            depth += 1 if bracket.group() in (b"[", b"{") else -1
            if depth > MAX_JSON_DEPTH:
                return "too_deep", f"请求内容嵌套层数超过 {MAX_JSON_DEPTH} 层"
    if _SURROGATE_ESCAPE.search(body) or _NUL_ESCAPE in body:
        try:
            value = json.loads(body)
            # Valid escape pairs make one character; a lone half cannot be written as UTF-8 (nor stored).
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return "bad_text", SURROGATE_MESSAGE
        except ValueError:
            return None  # not JSON at all: the handler's parser answers that
        if _holds_nul(value):
            return "bad_text", NUL_MESSAGE
    return None


def _holds_nul(value) -> bool:
    # Recursion is safe here: the depth was checked first.
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class RequestBodyGuardMiddleware:
    """Refuse, before any handler parses it, a JSON body that would break the parser or the database: nesting
    deeper than ``MAX_JSON_DEPTH``, strings holding lone surrogates or NUL (NUL in the query string too).
    Answered like the API's other errors: 400 with a code and a Chinese message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "%00" in request.META.get("QUERY_STRING", ""):
            return JsonResponse({"code": "bad_text", "message": NUL_MESSAGE}, status=400)
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.content_type.endswith("json"):
            problem = json_body_problem(request.body)
            if problem is not None:
                code, message = problem
                return JsonResponse({"code": code, "message": message}, status=400)
        return self.get_response(request)
