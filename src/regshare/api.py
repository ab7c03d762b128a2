"""The versioned REST API: one NinjaAPI, one authentication class, one error format."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from regshare.catalog.api import router as catalog_router
from regshare.cockpit.api import router as cockpit_router
from regshare.core.api import router as core_router
from regshare.core.auth import deny_by_default
from regshare.core.ratelimit import RateLimited
from regshare.core.workdays import CalendarYearUnknown
from regshare.credit.api import router as credit_router
from regshare.entities.api import router as entities_router
from regshare.evaluation.api import router as evaluation_router
from regshare.exchange.api import router as exchange_router
from regshare.incidents.api import router as incidents_router
from regshare.ingest.api import router as ingest_router
from regshare.portal.api import router as portal_router
from regshare.risk.api import router as risk_router
from regshare.supervision.api import router as supervision_router


class LocalSwagger(Swagger):
    """Swagger UI from the platform's own static files (``make assets``): an intranet reaches no CDN,
    and the page runs no inline script, so it satisfies the platform's Content-Security-Policy."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        return render(request, "api_docs.html", {"api": api, "swagger_settings": self.settings})


api = NinjaAPI(
    title="regshare API",
    version="1",
    description="市场准入与市场监管数据共享平台接口。认证: `Authorization: Bearer <令牌>` 或已登录会话。",
    auth=deny_by_default,
    urls_namespace="api",
    docs_url="/docs",
    docs=LocalSwagger(),
    openapi_url="/openapi.json",
)

# Django tries URL patterns in order, so the routers that serve data to other systems on every call
# (data access, credit checks) come first.
api.add_router("", exchange_router)
api.add_router("/credit", credit_router)
api.add_router("", core_router)
api.add_router("/catalog", catalog_router)
api.add_router("/ingest", ingest_router)
api.add_router("/entities", entities_router)
api.add_router("/incidents", incidents_router)
api.add_router("/supervision", supervision_router)
api.add_router("/risk", risk_router)
api.add_router("/evaluation", evaluation_router)
api.add_router("/open", portal_router)
api.add_router("/cockpit", cockpit_router)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra):
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    messages = exc.messages if hasattr(exc, "messages") else [str(exc)]
    code = getattr(exc, "code", None) or "invalid"
    return _error(request, 400, code, ";".join(messages))


@api.exception_handler(CalendarYearUnknown)
def on_calendar_year_unknown(request, exc: CalendarYearUnknown):
    # Any deadline that reaches a year without a confirmed holiday schedule, from whichever service.
    return _error(request, 400, "calendar_year_unknown", str(exc), year=exc.year)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    return _error(request, 422, "invalid_request", "请求参数不符合接口要求", errors=exc.errors)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc: PermissionDenied):
    return _error(request, 403, "forbidden", str(exc) or "无权执行此操作")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc: AuthenticationError):
    return _error(request, 401, "unauthenticated", "未认证:请提供有效的接口令牌或先登录")


@api.exception_handler(Http404)
def on_not_found(request, exc: Http404):
    return _error(request, 404, "not_found", str(exc) or "对象不存在")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if str(exc).startswith("Cannot parse request body"):  # ninja's own message for a body that is not JSON
        return _error(request, 400, "bad_json", "请求内容无法解析,须为有效的 JSON")
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(RateLimited)
def on_rate_limited(request, exc: RateLimited):
    response = _error(request, 429, "rate_limited", exc.message, retry_after=exc.retry_after)
    response["Retry-After"] = str(exc.retry_after)
    return response

# Input the schema lets through but the machinery under a handler refuses: a number beyond 64 bits (SQLite:
# "Python int too large", a date out of range), a value the database rejects (PostgreSQL: bigint out of range,
# a NUL character), text that cannot be encoded. The caller sent it, so it is a 400 and nothing was changed.
@api.exception_handler(OverflowError)
def on_out_of_range(request, exc: OverflowError):
    return _error(request, 400, "out_of_range", "数值超出允许范围")


@api.exception_handler(DataError)
def on_data_refused(request, exc: DataError):
    return _error(request, 400, "bad_value", "提交的值无法保存(超出范围或含无效字符),数据未作修改")


@api.exception_handler(UnicodeError)
def on_bad_text(request, exc: UnicodeError):
    return _error(request, 400, "bad_text", "请求内容含无效字符,请检查文本编码")
