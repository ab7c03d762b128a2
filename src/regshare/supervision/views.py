"""Supervision pages (thin): catalog, records, random inspections (and their public record), complaints with
routing and dry run, assistance, cases."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from regshare.core import workflow
from regshare.core.models import Department
from regshare.core.pages import page_of
from regshare.core.permissions import PUBLIC, Principal, has_perm, page_permission, principal_of

from . import excel, forms, services
from .models import (
    AssistanceRequest,
    Case,
    Complaint,
    ComplaintStatus,
    InspectionOutcome,
    InspectionTask,
    InspectorConflict,
    RoutingRule,
    SupervisionItem,
    SupervisionRecord,
    SupervisionWay,
    TaskStatus,
)


def _errors(exc: ValidationError) -> str:
    return ";".join(exc.messages)


@page_permission("supervision.view")
def index(request):
    return redirect("supervision:items")


@page_permission("supervision.view")
def items(request):
    principal = principal_of(request)
    q, way = request.GET.get("q", "").strip(), request.GET.get("way", "")
    qs = services.item_query(SupervisionItem.objects.visible_to(principal), q, way)
    if request.GET.get("format") == "xlsx":
        return excel.items_response(principal, qs)
    return render(request, "supervision/items.html", {
        "page": page_of(request, qs, 20), "q": q, "way": way, "ways": SupervisionWay.choices,
        "can_import": has_perm(principal, "supervision.manage_items")})


@require_POST
@page_permission("supervision.manage_items")
def items_import(request):
    principal = principal_of(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要导入的Excel文件")
        return redirect("supervision:items")
    try:
        result = excel.import_items(principal, upload, principal.department)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, f"已导入 {result['saved']} 条监管事项" +
                         (f";{len(result['errors'])} 行有误:" + ";".join(result["errors"][:5]) if result["errors"]
                          else ""))
    return redirect("supervision:items")


@page_permission("supervision.view")
def records(request):
    principal = principal_of(request)
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    qs = SupervisionRecord.objects.visible_to(principal).select_related("entity", "department", "item")
    if q:
        qs = qs.filter(Q(doc_no__icontains=q) | Q(entity__name__icontains=q) | Q(entity__uscc=q.upper()))
    if kind:
        qs = qs.filter(kind=kind)
    return render(request, "supervision/records.html", {"page": page_of(request, qs, 20), "q": q, "kind": kind})


@page_permission("supervision.view")
def tasks(request):
    principal = principal_of(request)
    q = request.GET.get("q", "").strip()
    qs = InspectionTask.objects.visible_to(principal).select_related("department").annotate(
        n=Count("selections", distinct=True)).order_by("-created_at", "-id")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return render(request, "supervision/tasks.html", {
        "page": page_of(request, qs, 20), "q": q, "can_create": has_perm(principal, "supervision.manage_task")})


@page_permission("supervision.view")
def task_detail(request, pk: int):
    principal = principal_of(request)
    task = get_object_or_404(InspectionTask.objects.visible_to(principal), pk=pk)
    selections = task.selections.select_related("entity")
    return render(request, "supervision/task_detail.html", {
        "task": task, "page": page_of(request, selections, 30), "outcomes": InspectionOutcome.choices,
        "can_draw": has_perm(principal, "supervision.draw"),
        "can_manage": has_perm(principal, "supervision.manage_task"),
        "can_enter": has_perm(principal, "supervision.enter_result") and task.status == TaskStatus.INSPECTING,
        "can_publish": has_perm(principal, "supervision.publish_result")})


@require_POST
@page_permission("supervision.view")
def task_action(request, pk: int):
    principal = principal_of(request)
    task = get_object_or_404(InspectionTask.objects.visible_to(principal), pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "publish_seed":
            services.publish_seed(principal, task, request.POST.get("seed", ""))
        elif action == "draw":
            services.run_draw(principal, task)
        elif action == "start":
            services.start_inspection(principal, task)
        elif action == "result":
            selection = get_object_or_404(task.selections, pk=request.POST.get("selection") or 0)
            services.enter_result(principal, selection, request.POST.get("outcome", ""), request.POST.get("note", ""))
        elif action == "finish":
            services.finish_results(principal, task)
        elif action == "publish":
            services.publish_results(principal, task)
        else:
            raise ValidationError("未知的操作")
        messages.success(request, "已办理")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("supervision:task", pk=task.pk)


@page_permission(PUBLIC)
def draws(request):
    """The public list of draws (一公开): anyone can download each record and recompute it."""
    qs = InspectionTask.objects.visible_to(Principal()).select_related("department").annotate(
        n=Count("selections")).order_by("-created_at", "-id")
    return render(request, "supervision/draws.html", {"page": page_of(request, qs, 20)})


@page_permission(PUBLIC)
def draw_record(request, pk: int):
    task = get_object_or_404(InspectionTask.objects.visible_to(Principal()), pk=pk)
    response = JsonResponse(services.published_record(task), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="draw-{task.pk}.json"'
    return response


@page_permission(PUBLIC)
def draw_detail(request, pk: int):
    task = get_object_or_404(InspectionTask.objects.visible_to(Principal()), pk=pk)
    ok, message = services.verify_task(task)
    published = task.status == TaskStatus.PUBLISHED
    return render(request, "supervision/draw_detail.html", {
        "task": task, "ok": ok, "message": message, "published": published,
        "page": page_of(request, task.selections.select_related("entity"), 50)})


@page_permission("supervision.view")
def complaints(request):
    principal = principal_of(request)
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    qs = Complaint.objects.visible_to(principal).select_related("department")
    if q:
        qs = qs.filter(Q(order_no__icontains=q) | Q(content__icontains=q) | Q(subject_name__icontains=q))
    if status == "overdue":
        qs = qs.filter(pk__in=services.overdue_complaints().values("pk"))
    elif status:
        qs = qs.filter(status=status)
    return render(request, "supervision/complaints.html", {
        "page": page_of(request, qs, 20), "q": q, "status": status, "statuses": ComplaintStatus.choices,
        "figures": services.complaint_figures(qs) if has_perm(principal, "supervision.stats") else None,
        "can_import": has_perm(principal, "supervision.complaint_intake")})


@require_POST
@page_permission("supervision.complaint_intake")
def complaints_import(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要导入的12345工单Excel文件")
        return redirect("supervision:complaints")
    try:
        result = excel.import_complaints(principal_of(request), upload)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"已导入 {result['saved']} 条工单" +
                         (f";{len(result['errors'])} 行未导入:" + ";".join(result["errors"][:5]) if result["errors"]
                          else ""))
    return redirect("supervision:complaints")


@page_permission("supervision.view")
def complaint_detail(request, pk: int):
    principal = principal_of(request)
    complaint = get_object_or_404(Complaint.objects.visible_to(principal).select_related("department"), pk=pk)
    if request.method == "POST":
        try:
            step = request.POST.get("step", "")
            if step == "transfer":
                to = get_object_or_404(Department, pk=request.POST.get("to") or 0)
                services.transfer(principal, complaint, to, request.POST.get("note", ""))
            else:
                extra = {}
                if step == "handle":
                    extra["substantiated"] = {"1": True, "0": False}.get(request.POST.get("substantiated", ""))
                if step == "close":
                    extra["satisfaction"] = request.POST.get("satisfaction", "")
                services.complaint_step(principal, complaint, step, request.POST.get("note", ""), **extra)
            messages.success(request, "已办理")
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect("supervision:complaint", pk=complaint.pk)
    return render(request, "supervision/complaint_detail.html", {
        "c": complaint, "events": complaint.events.select_related("from_department", "to_department"),
        "departments": Department.objects.filter(active=True).exclude(pk=complaint.department_id),
        "can_handle": has_perm(principal, "supervision.complaint_handle")})


@page_permission("supervision.manage_routing")
def routing(request):
    """The ordered rules, and a dry run of a changed rule against past orders before it is saved."""
    rules = list(RoutingRule.objects.select_related("department"))
    result, changed_rule = None, None
    if request.method == "POST":
        try:
            rule = get_object_or_404(RoutingRule, pk=request.POST.get("rule") or 0)
            department = get_object_or_404(Department, pk=request.POST.get("department") or 0)
            rule.department = department
            rule.keywords = request.POST.get("keywords", rule.keywords)[:300]
            rule.category = request.POST.get("category", rule.category)[:60]
            proposed = [rule if r.pk == rule.pk else r for r in rules]
            result = services.dry_run(proposed)
            changed_rule = rule
            if request.POST.get("apply") == "1":
                services.save_routing_rule(principal_of(request), rule)
                messages.success(request, f"规则“{rule.name}”已保存")
                return redirect("supervision:routing")
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    return render(request, "supervision/routing.html", {
        "rules": rules, "result": result, "changed": changed_rule,
        "departments": Department.objects.filter(active=True)})


def _no_department(request) -> bool:
    if principal_of(request).department is None:
        messages.error(request, "您的账号没有所属部门,不能以部门名义办理")
        return True
    return False


@page_permission("supervision.view")
def assistance(request):
    principal = principal_of(request)
    qs = AssistanceRequest.objects.visible_to(principal).select_related("requester", "target")
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    if q:
        qs = qs.filter(subject__icontains=q)
    return render(request, "supervision/assistance.html", {
        "page": page_of(request, qs, 20), "q": q, "can_request": has_perm(principal, "supervision.assist")})


@page_permission("supervision.assist")
def assistance_new(request):
    principal = principal_of(request)
    form = forms.AssistanceForm(principal, request.POST or None, initial={"case": request.GET.get("case", "")[:12]})
    if request.method == "POST" and not _no_department(request) and form.is_valid():
        data = form.cleaned_data
        try:
            req = services.request_assistance(principal, principal.department, data["target"], data["subject"],
                                              data["content"], entity=data["entity"], case=data["case"])
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, f"已向{req.target.name}发起协查,办理期限 {req.deadline:%Y-%m-%d}")
            return redirect("supervision:assistance_detail", pk=req.pk)
    return render(request, "supervision/form.html", {
        "form": form, "title": "发起协查协办", "back": "supervision:assistance", "back_label": "协查协办",
        "submit": "发起协查"})


@page_permission("supervision.view")
def assistance_detail(request, pk: int):
    principal = principal_of(request)
    req = get_object_or_404(AssistanceRequest.objects.visible_to(principal)
                            .select_related("requester", "target", "entity", "case"), pk=pk)
    if request.method == "POST":
        try:
            services.assistance_step(principal, req, request.POST.get("transition", ""),
                                     reply=request.POST.get("reply", "")[:5000])
            messages.success(request, "已办理")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("supervision:assistance_detail", pk=req.pk)
    return render(request, "supervision/assistance_detail.html", {
        "r": req, "transitions": workflow.available(principal, req)})


@page_permission("supervision.view")
def cases(request):
    principal = principal_of(request)
    qs = Case.objects.visible_to(principal).select_related("lead_department")
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    if q:
        qs = qs.filter(title__icontains=q)
    return render(request, "supervision/cases.html", {
        "page": page_of(request, qs, 20), "q": q, "can_open": has_perm(principal, "supervision.case")})


@page_permission("supervision.case")
def case_new(request):
    principal = principal_of(request)
    form = forms.CaseForm(principal, request.POST or None)
    if request.method == "POST" and not _no_department(request) and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.open_case(principal, data["title"], principal.department, data["summary"],
                                      kind=data["kind"], entity=data["entity"], departments=data["departments"])
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, "已立案,参与部门可在同一时间线上办理")
            return redirect("supervision:case", pk=case.pk)
    return render(request, "supervision/form.html", {
        "form": form, "title": "登记重点事件或重大案件", "back": "supervision:cases", "back_label": "重点事件与案件",
        "submit": "立案"})


@page_permission("supervision.view")
def case_detail(request, pk: int):
    principal = principal_of(request)
    case = get_object_or_404(Case.objects.visible_to(principal).select_related("lead_department", "entity"), pk=pk)
    event_form = forms.CaseEventForm(request.POST if request.POST.get("form") == "event" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "event":
                if not event_form.is_valid():
                    raise ValidationError(";".join(e for errs in event_form.errors.values() for e in errs))
                services.add_case_event(principal, case, event_form.cleaned_data["action"],
                                        event_form.cleaned_data["note"])
            else:
                services.case_step(principal, case, request.POST.get("transition", ""),
                                   request.POST.get("note", "")[:5000])
            messages.success(request, "已记入时间线")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("supervision:case", pk=case.pk)
    involved = has_perm(principal, "supervision.case") and services.involved_in_case(principal, case)
    return render(request, "supervision/case_detail.html", {
        "case": case, "events": case.events.select_related("department"),
        "assistance": case.assistance.select_related("requester", "target"),
        "departments": case.departments.all(), "transitions": workflow.available(principal, case),
        "event_form": forms.CaseEventForm() if involved else None,
        "can_request": involved and has_perm(principal, "supervision.assist")})


@page_permission("supervision.view")
def conflicts(request):
    principal = principal_of(request)
    qs = (InspectorConflict.objects.visible_to(principal).select_related("inspector__department", "entity")
          .order_by("-declared_on", "-id"))
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    if q:
        qs = qs.filter(Q(inspector__name__icontains=q) | Q(entity__name__icontains=q) | Q(entity__uscc=q.upper()))
    can_declare = services.inspectors_for_declaration(principal).exists() if principal.user else False
    return render(request, "supervision/conflicts.html", {
        "page": page_of(request, qs, 20), "q": q, "can_declare": can_declare,
        "may_withdraw": set(services.inspectors_for_declaration(principal).values_list("pk", flat=True))})


@page_permission("supervision.view")
def conflict_new(request):
    principal = principal_of(request)
    form = forms.ConflictForm(principal, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.declare_conflict(principal, data["inspector"], data["entity"], data["reason"])
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "回避申报已登记,此后的抽取不再为该人员抽中该市场主体")
            return redirect("supervision:conflicts")
    return render(request, "supervision/form.html", {
        "form": form, "title": "回避申报", "back": "supervision:conflicts", "back_label": "回避申报",
        "submit": "申报回避"})


@require_POST
@page_permission("supervision.view")
def conflict_withdraw(request, pk: int):
    principal = principal_of(request)
    conflict = get_object_or_404(InspectorConflict.objects.visible_to(principal).select_related("inspector", "entity"),
                                 pk=pk)
    try:
        services.withdraw_conflict(principal, conflict)
        messages.success(request, "已撤回回避申报")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("supervision:conflicts")


@page_permission("supervision.manage_task")
def task_new(request):
    principal = principal_of(request)
    form = forms.TaskForm(principal, request.POST or None)
    if request.method == "POST" and not _no_department(request) and form.is_valid():
        data = form.cleaned_data
        try:
            task = services.create_task(
                principal, code=data["code"].strip(), name=data["name"].strip(), department=principal.department,
                joint=data["joint_departments"], items=data["items"], filters=form.filters(),
                inspectors_per_object=data["inspectors_per_object"], control_ratio=data["control_ratio"] or None)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, "抽查任务已创建,下一步公布随机种子")
            return redirect("supervision:task", pk=task.pk)
    return render(request, "supervision/form.html", {
        "form": form, "title": "新建双随机抽查任务", "back": "supervision:tasks", "back_label": "双随机抽查任务",
        "submit": "创建任务"})
