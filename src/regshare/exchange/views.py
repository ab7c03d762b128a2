"""Pages of the sharing workflow. Thin: each view calls services and renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from regshare.catalog.models import Resource, ShareType, Status
from regshare.core import workflow
from regshare.core.pages import page_of
from regshare.core.permissions import has_perm, is_data_bureau, page_permission, principal_of

from . import services
from .forms import (
    ApplicationForm,
    CorrectionForm,
    DecisionForm,
    DestructionForm,
    HandoverForm,
    ReasonForm,
    SubscriptionForm,
)
from .models import (
    Application,
    ApplicationStatus,
    Correction,
    Grant,
    GrantStatus,
    OfflinePackage,
    Stage,
    Subscription,
)


def _errors(request, exc: ValidationError) -> None:
    messages.error(request, ";".join(exc.messages))


@page_permission("exchange.view")
def index(request):
    """/exchange/ is not a page of its own: the applications are."""
    return redirect("exchange:applications")


@page_permission("exchange.view")
def applications(request):
    principal = principal_of(request)
    items = Application.objects.visible_to(principal).filtered(request.GET)
    return render(request, "exchange/applications.html", {
        "page": page_of(request, items, 20), **Application.objects.filter_values(request.GET),
        "statuses": ApplicationStatus.choices,
        "can_apply": has_perm(principal, "exchange.apply")})


@page_permission("exchange.apply")
def apply(request):
    principal = principal_of(request)
    code = request.POST.get("resource") or request.GET.get("resource", "")
    resource = Resource.objects.filter(code=code, status=Status.PUBLISHED).first() if code else None
    choices = [(f.code_name, f"{f.name}({f.code_name})") for f in resource.fields.all()] if resource else []
    form = ApplicationForm(request.POST or None, request.FILES or None, field_choices=choices,
                           initial={"resource": code})
    if request.method == "POST" and resource is None:
        form.add_error("resource", "资源不存在或未发布")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.submit_application(principal, services.ApplicationInput(
                resource=resource, fields=data["fields"], clear_fields=data["clear_fields"], purpose=data["purpose"],
                scenario=data["scenario"], legal_basis=data["legal_basis"], period_start=data["period_start"],
                period_end=data["period_end"], approval_file=data["approval_file"]))
            messages.success(request, f"申请 {application.number} 已提交,平台将在规定期限内完成符合性审查。")
            return redirect("exchange:application", application.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    resources = Resource.objects.filter(status=Status.PUBLISHED).exclude(share_type=ShareType.NONE).order_by("code")
    return render(request, "exchange/apply.html", {"form": form, "resource": resource,
                                                   "resources": resources[:200]})


@require_POST
@page_permission("exchange.apply")
def dedicated(request, code: str):
    resource = get_object_or_404(Resource, code=code, status=Status.PUBLISHED)
    try:
        item = services.open_dedicated_grant(principal_of(request), resource)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("exchange:apply")
    messages.success(request, "本部门为该资源的专用部门,已开通直接使用。")
    return redirect("exchange:grant", item.pk)


@page_permission("exchange.view")
def application(request, app_id: int):
    principal = principal_of(request)
    item = get_object_or_404(Application.objects.visible_to(principal), pk=app_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "review":  # the decision form of the review queue
                form = DecisionForm(request.POST)
                if form.is_valid():
                    services.review(principal, item, form.cleaned_data["approve"], form.cleaned_data["reason"])
            else:
                workflow.perform_posted(principal, item, request.POST)
            messages.success(request, "已办理。")
            return redirect("exchange:application", item.pk)
        except ValidationError as exc:
            _errors(request, exc)
    step = item.current_step()
    return render(request, "exchange/application.html", {
        "item": item, "steps": item.steps.order_by("id"), "step": step,
        "transitions": workflow.available(principal, item),
        "heading": f"{step.get_stage_display()}(期限 {step.deadline:%Y-%m-%d})" if step else "办理",
        "grant": getattr(item, "grant", None) if item.status == ApplicationStatus.APPROVED else None})


@page_permission("exchange.review")
def queue(request):
    principal = principal_of(request)
    steps = services.review_queue(principal)
    stage = request.GET.get("stage", "")
    q = request.GET.get("q", "").strip()
    if stage:
        steps = [s for s in steps if s.stage == stage]
    if q:
        steps = [s for s in steps if q in s.application.number or q in s.application.resource.name]
    return render(request, "exchange/queue.html", {"page": page_of(request, steps, 20), "today": services.today(),
                                                   "stage": stage, "q": q, "stages": Stage.choices})


@page_permission("exchange.view")
def grants(request):
    items = Grant.objects.visible_to(principal_of(request)).filtered(request.GET)
    return render(request, "exchange/grants.html", {"page": page_of(request, items, 20),
                                                    **Grant.objects.filter_values(request.GET),
                                                    "statuses": GrantStatus.choices})


@page_permission("exchange.view")
def grant(request, grant_id: int):
    principal = principal_of(request)
    item = get_object_or_404(Grant.objects.visible_to(principal), pk=grant_id)
    issued = None
    package_key = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "revoke":
                services.revoke_grant(principal, item, request.POST.get("reason", ""))
                messages.success(request, "授权已收回,绑定的令牌和订阅已立即停止。")
            elif action == "token":
                issued = services.issue_grant_token(principal, item, request.POST.get("name", "") or "授权令牌")
            elif action == "destruction":
                form = DestructionForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("请完整填写销毁记录", code="missing_text")
                services.record_destruction(principal, item, **form.cleaned_data)
                messages.success(request, "销毁记录已登记。")
            elif action == "subscribe":
                form = SubscriptionForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("回调地址无效", code="bad_url")
                sub = services.subscribe(principal, item, form.cleaned_data["url"],
                                         from_version=form.cleaned_data["from_version"])
                messages.success(request, f"订阅已创建,签名密钥(仅显示一次):{sub.secret}")
            elif action == "package":
                record, _blob, package_key = services.build_offline_package(principal, item)
                messages.success(request, f"离线共享包 {record.file_name} 已生成。")
            if issued is None and package_key is None:
                return redirect("exchange:grant", item.pk)
        except ValidationError as exc:
            _errors(request, exc)
    is_consumer = principal.department is not None and principal.department.pk == item.consumer_id
    is_provider = principal.department is not None and principal.department.pk == item.resource.provider_id
    return render(request, "exchange/grant.html", {
        "item": item, "issued": issued, "package_key": package_key, "is_consumer": is_consumer,
        "is_provider": is_provider, "live": services.grant_is_live(item),
        "can_revoke": has_perm(principal, "exchange.revoke") and (is_provider or is_data_bureau(principal)),
        "reason_form": ReasonForm(), "destruction_form": DestructionForm(), "subscription_form": SubscriptionForm(),
        "handover_form": HandoverForm(), "packages": item.offline_packages.all(),
        "destructions": item.destructions.all(), "subscriptions": item.subscriptions.all()})


@page_permission("exchange.provide")
def package_download(request, package_id: int):
    principal = principal_of(request)
    package = get_object_or_404(OfflinePackage, pk=package_id)
    get_object_or_404(Grant.objects.visible_to(principal), pk=package.grant_id)
    from .offline import package_dir

    path = package_dir() / package.file_name
    response = HttpResponse(path.read_bytes(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{package.file_name}"'
    return response


@require_POST
@page_permission("exchange.provide")
def package_handover(request, package_id: int):
    principal = principal_of(request)
    package = get_object_or_404(OfflinePackage, pk=package_id)
    form = HandoverForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("请完整填写交接记录", code="missing_text")
        services.record_handover(principal, package, **form.cleaned_data)
        messages.success(request, "交接记录已登记。")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("exchange:grant", package.grant_id)


@page_permission("exchange.view")
def subscriptions(request):
    items = Subscription.objects.visible_to(principal_of(request)).filtered(request.GET)
    return render(request, "exchange/subscriptions.html", {"page": page_of(request, items, 20),
                                                           **Subscription.objects.filter_values(request.GET)})


@require_POST
@page_permission("exchange.subscribe")
def subscription_action(request, sub_id: int):
    principal = principal_of(request)
    item = get_object_or_404(Subscription.objects.visible_to(principal), pk=sub_id)
    try:
        if request.POST.get("action") == "replay":
            services.replay(principal, item, int(request.POST.get("from_version") or 0))
            messages.success(request, "已重放。")
        else:
            services.unsubscribe(principal, item)
            messages.success(request, "订阅已取消。")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("exchange:subscriptions")


@page_permission("exchange.view")
def corrections(request):
    principal = principal_of(request)
    items = Correction.objects.visible_to(principal).filtered(request.GET)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resource = Resource.objects.filter(code=data["resource"]).first()
        try:
            if resource is None:
                raise ValidationError("资源不存在", code="unknown_resource")
            from .access import key_fields

            keys = key_fields(resource)
            correction = services.report_correction(principal, resource, {keys[0] if keys else "": data["key_value"]},
                                                    data["field"], data["proposed_value"], data["explanation"])
            messages.success(request, f"纠错已提交,提供部门应于 {correction.deadline} 前校核。")
            return redirect("exchange:correction", correction.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "exchange/corrections.html", {"page": page_of(request, items, 20),
                                                         **Correction.objects.filter_values(request.GET), "form": form, "can_report": has_perm(principal, "exchange.correct")})


@page_permission("exchange.view")
def correction(request, correction_id: int):
    principal = principal_of(request)
    item = get_object_or_404(Correction.objects.visible_to(principal), pk=correction_id)
    if request.method == "POST":
        try:
            workflow.perform_posted(principal, item, request.POST)
            messages.success(request, "已答复。")
            return redirect("exchange:correction", item.pk)
        except ValidationError as exc:
            _errors(request, exc)
    return render(request, "exchange/correction.html", {"item": item, "heading": "校核答复",
                                                        "transitions": workflow.available(principal, item)})


@page_permission("exchange.access_log")
def access_logs(request):
    principal = principal_of(request)
    resources = Resource.objects.all() if is_data_bureau(principal) or has_perm(principal, "audit.view") \
        else Resource.objects.filter(provider=principal.department)
    q = request.GET.get("q", "").strip()
    if q:
        resources = resources.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return render(request, "exchange/access_logs.html", {"page": page_of(request, resources.order_by("code"), 20), "q": q})


@page_permission("exchange.access_log")
def access_log(request, code: str):
    principal = principal_of(request)
    resource = get_object_or_404(Resource, code=code)
    records = services.access_log(principal, resource)
    actor = request.GET.get("actor", "").strip()
    if actor:
        records = records.filter(actor__icontains=actor)
    return render(request, "exchange/access_log.html", {"resource": resource, "page": page_of(request, records, 50),
                                                        "actor": actor})


@page_permission("exchange.delegate")
def delegates(request):
    from regshare.core.models import User

    from .models import ReviewDelegate

    principal = principal_of(request)
    if request.method == "POST":
        try:
            if request.POST.get("end"):
                delegation = get_object_or_404(ReviewDelegate, pk=request.POST["end"])
                services.end_delegation(principal, delegation)
                messages.success(request, "授权代理已撤销。")
            else:
                user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
                if user is None:
                    raise ValidationError("用户不存在", code="unknown_user")
                code = request.POST.get("resource", "").strip()
                resource = get_object_or_404(Resource, code=code) if code else None
                services.delegate_review(principal, user, resource)
                messages.success(request, f"已指定 {user} 为授权代理方。")
            return redirect("exchange:delegates")
        except ValidationError as exc:
            _errors(request, exc)
    items = ReviewDelegate.objects.filter(provider=principal.department).select_related("delegate", "resource")
    return render(request, "exchange/delegates.html", {"page": page_of(request, items, 20)})
