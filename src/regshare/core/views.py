from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import audit, exports, labels, ratelimit, services, workdays
from .auth import client_address
from .dashboard import calendar_warning, pending_for
from .forms import (
    CalendarYearForm,
    LoginForm,
    OverrideForm,
    ScheduleImportForm,
    TokenForm,
    UserForm,
    WorkdayCheckForm,
)
from .models import ApiToken, CalendarYear, Department, Role, User, WorkdayOverride
from .pages import page_of
from .permissions import PUBLIC, has_perm, page_permission, principal_of, require


@page_permission(PUBLIC)
def login_view(request: HttpRequest, default_next: str = "/") -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or default_next
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    form = LoginForm(request.POST or None)
    error = ""
    status = 200
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        retry_after = _login_rate_exceeded(request, username)
        if retry_after:
            status = 429
            error = f"登录尝试过于频繁,请 {retry_after} 秒后再试。"
        else:
            outcome = services.attempt_login(request, username, form.cleaned_data["password"])
            if outcome.user is not None:
                login(request, outcome.user)
                return redirect(next_url)
            error = outcome.message
    elif request.method == "POST":
        error = "请输入用户名和密码。"
    elif request.user.is_authenticated and next_url.startswith("/admin/") and not request.user.is_staff:
        # Django's admin sends a signed-in person without staff status here; say why.
        error = f"当前账号 {request.user} 无权进入后台管理,请换用平台管理员账号登录。"
    response = render(request, "core/login.html", {"form": form, "error": error, "next": next_url}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _login_rate_exceeded(request: HttpRequest, username: str) -> int:
    """Seconds to wait when this address or this user name has tried too often, else 0.

    Both counters count every try, so that guessing many names from one address and one name from
    many addresses are both slowed down."""
    by_ip = ratelimit.hit("login-ip", client_address(request), settings.REGSHARE_LOGIN_RATE_PER_IP)
    by_name = ratelimit.hit("login-user", username.strip().lower()[:150], settings.REGSHARE_LOGIN_RATE_PER_USERNAME)
    return max(by_ip.retry_after, by_name.retry_after)


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Django admin's sign-in is the platform's sign-in (``admin.site.login``)."""
    return login_view(request, default_next="/admin/")


def admin_logout(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Django admin's sign-out is the platform's audited sign-out (``admin.site.logout``)."""
    return logout_view(request)


@require_POST
@page_permission(PUBLIC)
def logout_view(request):
    if request.user.is_authenticated:
        services.record_logout(request.user)
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("core:login")


@page_permission("dashboard.view")
def dashboard(request):
    principal = principal_of(request)
    return render(request, "core/dashboard.html", {
        "pending": pending_for(principal),
        "recent_notifications": services.inbox(request.user)[:5],
        "calendar_year_unconfirmed": calendar_warning(principal),
    })


@page_permission("notifications.view")
def notifications(request):
    items = services.inbox(request.user)
    if request.GET.get("unread") == "1":
        items = items.filter(is_read=False)
    return render(request, "core/notifications.html", {"page": page_of(request, items, 30),
                                                       "only_unread": request.GET.get("unread") == "1"})


@require_POST
@page_permission("notifications.view")
def notifications_read(request):
    ids = [int(x) for x in request.POST.getlist("id") if x.isdigit()] or None
    count = services.mark_read(request.user, ids)
    messages.success(request, f"已将 {count} 条通知标为已读。")
    target = request.POST.get("link", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect("core:notifications")


@page_permission("departments.view")
def departments(request):
    q = request.GET.get("q", "").strip()
    items = Department.objects.select_related("parent").prefetch_related("users")
    if q:
        items = items.filter(name__icontains=q)
    return render(request, "core/departments.html", {"page": page_of(request, items, 50), "q": q})


def _role_choices(principal) -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in Role if r != Role.PLATFORM_ADMIN or Role.PLATFORM_ADMIN in principal.roles]


USER_COLUMNS = [
    exports.Column("用户名", lambda u: u.username),
    exports.Column("姓名", lambda u: u.full_name),
    exports.Column("部门", lambda u: u.department.name if u.department else ""),
    exports.Column("角色", lambda u: u.role_labels),
    exports.Column("启用", lambda u: u.is_active),
    exports.Column("最近登录", lambda u: u.last_login),
]


@page_permission("users.view")
def users(request):
    principal = principal_of(request)
    items = User.objects.select_related("department").order_by("department__code", "username")
    if Role.PLATFORM_ADMIN not in principal.roles:
        items = items.filter(department=principal.department)
    q = request.GET.get("q", "").strip()
    if q:
        items = items.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if request.GET.get("export") == "xlsx":
        return exports.xlsx_response(principal, "用户", "用户.xlsx", USER_COLUMNS, items, {"q": q})
    form = UserForm(request.POST or None, role_choices=_role_choices(principal))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_user(principal, username=data["username"], password=data["password"],
                                 full_name=data["full_name"], department=principal.department, roles=data["roles"])
            messages.success(request, f"已创建用户 {data['username']}。")
            return redirect("core:users")
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "core/users.html", {"page": page_of(request, items, 30), "form": form, "q": q,
                                               "now": timezone.now()})


@require_POST
@page_permission("users.manage")
def user_unlock(request, user_id: int):
    target = get_object_or_404(User, pk=user_id)
    services.unlock_user(principal_of(request), target)
    messages.success(request, f"已解除 {target} 的登录锁定。")
    return redirect("core:users")


@page_permission("tokens.manage")
def tokens(request):
    principal = principal_of(request)
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.issue_token(principal, department=principal.department, name=form.cleaned_data["name"],
                                          scopes=form.cleaned_data["scopes"],
                                          days_valid=form.cleaned_data["days_valid"])
            form = TokenForm()
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "core/tokens.html", {
        "form": form, "issued": issued, "page": page_of(request, ApiToken.objects.visible_to(principal), 30),
    })


@require_POST
@page_permission("tokens.manage")
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id)
    try:
        services.revoke_token(principal_of(request), token)
        messages.success(request, f"令牌「{token.name}」已吊销,使用它的系统将立即无法访问。")
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    return redirect("core:tokens")


@page_permission("calendar.view")
def calendar(request):
    principal = principal_of(request)
    today = timezone.localdate()
    override_form = OverrideForm(prefix="o")
    year_form = CalendarYearForm(prefix="y", initial={"year": today.year + 1})
    import_form = ScheduleImportForm(prefix="s", initial={"year": today.year + 1})
    check_form = WorkdayCheckForm(request.GET or None)
    check_result = check_error = None
    if request.method == "POST":
        require(principal, "calendar.edit")
        if "o-date" in request.POST:
            override_form = OverrideForm(request.POST, prefix="o")
            if override_form.is_valid():
                data = override_form.cleaned_data
                services.set_workday_override(principal, data["date"], data["is_workday"], data["note"])
                messages.success(request, f"已保存 {data['date']} 的调整。")
                return redirect("core:calendar")
        elif "s-year" in request.POST:
            import_form = ScheduleImportForm(request.POST, request.FILES, prefix="s")
            if import_form.is_valid():
                data = import_form.cleaned_data
                upload = data["file"]
                # one byte past the limit is enough for the service to refuse an oversized file
                content, name = ((upload.read(services.CALENDAR_FILE_MAX_BYTES + 1), upload.name) if upload
                                 else (data["text"].encode(), "pasted.csv"))
                try:
                    lines = services.parse_calendar_schedule(data["year"], content, name)
                    count = services.import_calendar_schedule(principal, data["year"], lines, data["note"])
                except ValidationError as exc:
                    import_form.add_error(None, exc)
                else:
                    messages.success(request, f"已导入 {data['year']} 年 {count} 个日期(草稿)。请核对下表后确认该年,"
                                              "确认后才用于计算期限。")
                    return redirect("core:calendar")
        elif "y-year" in request.POST:
            year_form = CalendarYearForm(request.POST, prefix="y")
            if year_form.is_valid():
                try:
                    services.declare_calendar_year(principal, year_form.cleaned_data["year"],
                                                   year_form.cleaned_data["note"])
                except ValidationError as exc:
                    year_form.add_error(None, exc)
                else:
                    messages.success(request, f"已确认 {year_form.cleaned_data['year']} 年节假日录入完成。")
                    return redirect("core:calendar")
        elif "delete" in request.POST:
            override = get_object_or_404(WorkdayOverride, pk=request.POST.get("delete", "0") or 0)
            services.delete_workday_override(principal, override)
            messages.success(request, "已删除该调整。")
            return redirect("core:calendar")
    if check_form.is_bound and check_form.is_valid():
        try:
            check_result = workdays.add_workdays(check_form.cleaned_data["start"], check_form.cleaned_data["days"])
        except workdays.CalendarYearUnknown as exc:
            check_error = str(exc)
    first, last = workdays.library_years()
    can_edit = has_perm(principal, "calendar.edit")
    return render(request, "core/calendar.html", {
        "overrides": page_of(request, WorkdayOverride.objects.all(), 30), "years": CalendarYear.objects.all(),
        "override_form": override_form, "year_form": year_form, "import_form": import_form,
        "check_form": check_form, "check_result": check_result, "can_edit": can_edit, "check_error": check_error,
        "library_first": first, "library_last": last, "drafts": workdays.draft_years() if can_edit else [],
        "unconfirmed_year": calendar_warning(principal, today),
    })


@page_permission("audit.view")
def audit_log(request):
    records, values = audit.search(request.GET)
    if request.GET.get("export") == "xlsx":
        if not (values["start"] and values["end"]):
            messages.error(request, "导出审计日志请先选择起止日期。")
        else:
            return exports.xlsx_response(principal_of(request), "审计日志", f"审计日志-{values['start']}至{values['end']}.xlsx",
                                         AUDIT_COLUMNS, records.order_by("seq").iterator(chunk_size=2000),
                                         {k: v for k, v in values.items() if v and k != "error"})
    if values["error"]:
        messages.error(request, values["error"])
    page = page_of(request, records, 50)
    actors = labels.actor_labels({r.actor for r in page})
    rows = [{"record": r, "actor": actors.get(r.actor, r.actor), "action": labels.action_label(r.action),
             "target": labels.target_label(r.target),
             "detail": labels.detail_items(r.detail)} for r in page]
    result = audit.verify() if request.GET.get("verify") == "1" else None
    return render(request, "core/audit.html", {"page": page, "rows": rows, **values, "verify": result,
                                               "actions": labels.action_choices()})


AUDIT_COLUMNS = [
    exports.Column("序号", lambda r: r.seq),
    exports.Column("时间(北京时间)", lambda r: r.created_at),
    exports.Column("操作者", lambda r: labels.actor_label(r.actor)),
    exports.Column("动作", lambda r: labels.action_label(r.action)),
    exports.Column("动作代码", lambda r: r.action),
    exports.Column("对象", lambda r: labels.target_label(r.target)),
    exports.Column("详情", lambda r: ";".join(f"{k}:{v}" for k, v in labels.detail_items(r.detail))),
    exports.Column("哈希", lambda r: r.hash),
]


# ----------------------------------------------------------------------------- error pages
# Django calls these for errors no view handled (urls.py handler400/403/404/500). They are the
# platform's own Chinese pages, and JSON ``{"code", "message"}`` under /api/ like any API error.

def _json_error(body: dict, status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error({"code": "bad_request", "message": "请求无法处理,请检查请求格式。"}, status=400)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception or "") or "您的角色没有访问此页面的权限。如需开通,请联系本部门管理员。"
    if _is_api(request):
        return _json_error({"code": "forbidden", "message": message}, status=403)
    return render(request, "403.html", {"exception": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error({"code": "not_found", "message": "接口或对象不存在,请检查地址。"}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json_error({"code": "server_error", "message": "系统内部错误,操作未完成,请稍后重试或联系平台管理员。"},
                            status=500)
    # No context processors: the error may come from the database they would query.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
