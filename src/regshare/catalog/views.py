"""Catalog pages: list and search, detail, create/edit with an inline field formset, review, demands, duties, spreadsheets."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from regshare.core import labels, workflow
from regshare.core.pages import page_of
from regshare.core.permissions import has_perm, page_permission, principal_of

from . import services, transfer
from .forms import (
    DemandForm,
    FieldFormSet,
    ObligationForm,
    ResourceForm,
    RetireForm,
    SearchForm,
    UploadForm,
    field_initial,
)
from .models import Demand, DemandStatus, Resource, Status, UpdateObligation


def _errors(exc: Exception) -> str:
    return ";".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


@page_permission("catalog.view")
def resource_list(request):
    principal = principal_of(request)
    form = SearchForm(request.GET or None)
    query, filters = "", {}
    if form.is_valid():
        query = form.cleaned_data["q"]
        filters = {k: v for k, v in form.cleaned_data.items() if k != "q" and v}
        if filters.get("provider"):
            filters["provider"] = filters["provider"].pk
    try:
        results = services.search_resources(principal, query, filters)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        results = Resource.objects.none()
    return render(request, "catalog/list.html", {
        "form": form, "page": page_of(request, results, 20), "query": query,
        "can_create": has_perm(principal, "catalog.edit") and principal.department is not None,
    })


def _fields_from(formset) -> list[dict]:
    fields = []
    for item in formset.cleaned_data:
        if not item or item.get("DELETE") or not (item.get("name") or item.get("code_name")):
            continue
        fields.append({k: v for k, v in item.items() if k != "DELETE"})
    return fields


def _form_data(form: ResourceForm) -> dict:
    data = dict(form.cleaned_data)
    data["dedicated_departments"] = list(data.get("dedicated_departments") or [])
    data["related"] = list(data.get("related") or [])
    return data


@page_permission("catalog.edit")
def resource_create(request):
    principal = principal_of(request)
    form = ResourceForm(request.POST or None)
    formset = FieldFormSet(request.POST or None, prefix="fields")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            resource = services.create_resource(principal, _form_data(form), _fields_from(formset))
            messages.success(request, f"已登记数据资源 {resource.code}(草稿),请提交数据管理部门审核发布。")
            return redirect("catalog:detail", code=resource.code)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _errors(exc))
    return render(request, "catalog/form.html", {"form": form, "formset": formset, "resource": None})


@page_permission("catalog.edit")
def resource_edit(request, code: str):
    principal = principal_of(request)
    resource = services.get_visible(principal, code)
    if not services.can_edit(principal, resource.provider):
        raise PermissionDenied(f"只有提供部门({resource.provider.name})可以修改该资源")
    editable = Resource.objects.get(pk=resource.pk)  # the ModelForm writes into its instance while validating
    form = ResourceForm(request.POST or None, instance=editable)
    formset = FieldFormSet(request.POST or None, prefix="fields",
                           initial=None if request.method == "POST" else field_initial(services.schema_of(resource)))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.update_resource(principal, resource, _form_data(form), _fields_from(formset),
                                     note=request.POST.get("note", ""))
            messages.success(request, "已保存。")
            return redirect("catalog:detail", code=resource.code)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _errors(exc))
    return render(request, "catalog/form.html", {"form": form, "formset": formset, "resource": resource})


def _history(resource: Resource) -> list[dict]:
    """The status log as people read it: the states' Chinese names and the actors' names, not codes."""
    changes = list(resource.status_changes.all()[:30])
    actors = labels.actor_labels({c.actor for c in changes})
    states = dict(Status.choices)
    return [{"at": c.created_at, "action": c.action, "from": states.get(c.from_status, c.from_status),
             "to": states.get(c.to_status, c.to_status), "actor": actors.get(c.actor, c.actor), "note": c.note}
            for c in changes]


@page_permission("catalog.view")
def resource_detail(request, code: str):
    principal = principal_of(request)
    resource = services.get_visible(principal, code)
    return render(request, "catalog/detail.html", {
        "resource": resource,
        "fields": services.schema_of(resource),
        "versions": resource.versions.all()[:20],
        "history": _history(resource),
        "consumers": services.consumers_of(resource),
        "dedicated": resource.dedicated_departments.all(),
        "related": resource.related.all(),
        "predecessors": resource.predecessors.all(),
        "demands": resource.demands.select_related("requester")[:10],
        "can_edit": services.can_edit(principal, resource.provider) and resource.status != Status.OFFLINE,
        "transitions": workflow.available(principal, resource),
        "retire_form": RetireForm(),
        "panels": [(title, mark_safe(html)) for title, html in services.detail_panels(principal, resource)],
    })


@require_POST
@page_permission("catalog.view")
def resource_action(request, code: str, action: str):
    principal = principal_of(request)
    resource = services.get_visible(principal, code)
    try:
        if action in {t.name for _f, t in workflow.transitions_of(["catalog.publication"])}:
            transition, _ = workflow.perform_posted(principal, resource, {**request.POST.dict(), "transition": action})
            messages.success(request, f"已办理:{transition.label}。")
        elif action == "retire":
            form = RetireForm(request.POST)
            if not form.is_valid():
                raise ValidationError("请填写下线原因")
            updated = services.retire_resource(principal, resource, form.cleaned_data["reason"],
                                               form.cleaned_data["successor"])
            if updated.status == Status.OFFLINE:
                messages.success(request, "资源已下线,已通知全部使用部门。")
            else:
                messages.success(request, f"已申请下线,过渡期内保持在线(计划下线日期:"
                                          f"{updated.retire_on or '替代资源发布后确定'}),已通知全部使用部门。")
        elif action == "delete":
            services.delete_resource(principal, resource)
            messages.success(request, f"草稿 {code} 已删除。")
            return redirect("catalog:list")
        else:
            raise Http404("未知操作")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
    return redirect("catalog:detail", code=code)


@page_permission("catalog.review")
def review(request):
    principal = principal_of(request)
    drafts = Resource.objects.visible_to(principal).filter(status=Status.DRAFT)
    if request.GET.get("all") != "1":
        drafts = drafts.filter(submitted_at__isnull=False)
    return render(request, "catalog/review.html", {
        "page": page_of(request, drafts.order_by("submitted_at", "code")), "show_all": request.GET.get("all") == "1",
        "is_bureau": services.is_bureau(principal),
    })


@page_permission("catalog.demand.view")
def demands(request):
    principal = principal_of(request)
    form = DemandForm(request.POST or None)
    if request.method == "POST":
        if not has_perm(principal, "catalog.demand"):
            raise PermissionDenied("无权登记数据需求")
        if form.is_valid():
            try:
                demand = services.create_demand(principal, form.cleaned_data)
                messages.success(request, "已登记数据需求,平台已推荐可能匹配的资源。")
                return redirect("catalog:demand", demand_id=demand.pk)
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, _errors(exc))
    items = Demand.objects.visible_to(principal).filtered(request.GET)
    return render(request, "catalog/demands.html", {
        "form": form, "page": page_of(request, items, 20), **Demand.objects.filter_values(request.GET),
        "statuses": DemandStatus.choices, "can_create": has_perm(principal, "catalog.demand"),
        "is_bureau": services.is_bureau(principal),
    })


@page_permission("catalog.demand.view")
def demand_detail(request, demand_id: int):
    principal = principal_of(request)
    demand = Demand.objects.visible_to(principal).filter(pk=demand_id).first()
    if demand is None:
        raise Http404("数据需求不存在或无权查看")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "match":
                resource = get_object_or_404(Resource, code=request.POST.get("resource", ""))
                services.match_demand(principal, demand, resource, request.POST.get("note", ""))
                messages.success(request, f"已匹配 {resource.code}。")
            elif request.POST.get("action") == "close":
                services.close_demand(principal, demand, request.POST.get("note", ""))
                messages.success(request, "需求已关闭。")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc))
        return redirect("catalog:demand", demand_id=demand.pk)
    can_handle = has_perm(principal, "catalog.demand") and (
        services.is_bureau(principal) or principal.department == demand.requester)
    return render(request, "catalog/demand_detail.html", {
        "demand": demand, "suggestions": services.suggest_resources(demand), "can_handle": can_handle,
    })


@page_permission("catalog.view")
def obligations(request):
    principal = principal_of(request)
    form = ObligationForm(request.POST or None)
    if request.method == "POST":
        if not has_perm(principal, "catalog.obligation"):
            raise PermissionDenied("无权登记目录更新事项")
        if form.is_valid():
            try:
                obligation = services.record_change_of_duty(
                    principal, form.cleaned_data["department"] or principal.department, form.cleaned_data["reason"],
                    form.cleaned_data["description"], form.cleaned_data["changed_on"])
                messages.success(request, f"已登记,目录更新期限为 {obligation.due_date}(15 个工作日)。")
                return redirect("catalog:obligations")
            except (ValidationError, PermissionDenied, ValueError) as exc:
                form.add_error(None, _errors(exc))
    items = UpdateObligation.objects.visible_to(principal).filtered(request.GET)
    return render(request, "catalog/obligations.html", {
        "form": form, "page": page_of(request, items, 20), "today": timezone.localdate(),
        "can_record": has_perm(principal, "catalog.obligation"), "only_open": request.GET.get("open") == "1",
    })


@require_POST
@page_permission("catalog.obligation")
def obligation_fulfil(request, obligation_id: int):
    obligation = get_object_or_404(UpdateObligation, pk=obligation_id)
    try:
        services.fulfil_obligation(principal_of(request), obligation, request.POST.get("note", ""))
        messages.success(request, "已确认目录更新。")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
    return redirect("catalog:obligations")


@page_permission("catalog.view")
def transfer_page(request):
    principal = principal_of(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST":
        perm = "catalog.edit" if request.POST.get("kind") == "share" else "catalog.demand"
        if not has_perm(principal, perm):
            raise PermissionDenied("无权导入该清单")
        if form.is_valid():
            content = form.cleaned_data["file"].read(transfer.MAX_BYTES + 1)
            try:
                if form.cleaned_data["kind"] == "share":
                    report = transfer.import_share_list(principal, content)
                else:
                    report = transfer.import_demand_list(principal, content)
            except ValidationError as exc:
                form.add_error("file", _errors(exc))
            if report is not None and report.ok:
                messages.success(request, f"导入成功:新增 {len(report.created)} 条,更新 {len(report.updated)} 条。")
    return render(request, "catalog/transfer.html", {
        "form": form, "report": report,
        "can_import_share": has_perm(principal, "catalog.edit"),
        "can_import_demand": has_perm(principal, "catalog.demand"),
        "demand_count": Demand.objects.count(),
    })
