from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import audit, services, workdays
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
from .models import ApiToken, AuditRecord, CalendarYear, Department, Role, User, WorkdayOverride
from .pages import page_of
from .permissions import PUBLIC, has_perm, page_permission, principal_of, require


@page_permission(PUBLIC)
def login_view(request):
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        outcome = services.attempt_login(request, form.cleaned_data["username"], form.cleaned_data["password"])
        if outcome.user is not None:
            login(request, outcome.user)
            return redirect(next_url)
        error = outcome.message
    elif request.method == "POST":
        error = "请输入用户名和密码。"
    return render(request, "core/login.html", {"form": form, "error": error, "next": next_url})


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


@page_permission("users.view")
def users(request):
    principal = principal_of(request)
    items = User.objects.select_related("department").order_by("department__code", "username")
    if Role.PLATFORM_ADMIN not in principal.roles:
        items = items.filter(department=principal.department)
    q = request.GET.get("q", "").strip()
    if q:
        items = items.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
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
        "form": form, "issued": issued, "page": page_of(request, services.tokens_visible_to(principal), 30),
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
    records = AuditRecord.objects.all()
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("actor", "").strip()
    if action:
        records = records.filter(action__startswith=action)
    if actor:
        records = records.filter(actor__icontains=actor)
    result = audit.verify() if request.GET.get("verify") == "1" else None
    return render(request, "core/audit.html", {"page": page_of(request, records, 50), "action": action,
                                               "actor": actor, "verify": result})
