"""Pages of the sharing workflow. Thin: each view calls services and renders."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from regshare.catalog.models import Resource, ShareType, Status
from regshare.core import audit, exports, labels, workflow
from regshare.core.pages import page_of
from regshare.core.permissions import has_perm, is_data_bureau, page_permission, principal_of

from . import access, receipts, services
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
    Decision,
    Grant,
    GrantStatus,
    OfflinePackage,
    ReviewStep,
    Stage,
    Subscription,
)


def _errors(request, exc: ValidationError) -> None:
    messages.error(request, ";".join(exc.messages))


@page_permission("exchange.view")
def index(request):
    """/exchange/ is not a page of its own: the applications are."""
    return redirect("exchange:applications")


def _with_current_step(items):
    """Each application with the stage and deadline of its open review step (none once decided)."""
    pending = ReviewStep.objects.filter(application=OuterRef("pk"), decision=Decision.PENDING).order_by("-id")
    return items.annotate(stage=Subquery(pending.values("stage")[:1]),
                          stage_deadline=Subquery(pending.values("deadline")[:1]))


APPLICATION_COLUMNS = [
    exports.Column("申请编号", lambda a: a.number),
    exports.Column("资源代码", lambda a: a.resource.code),
    exports.Column("资源名称", lambda a: a.resource.name),
    exports.Column("提供部门", lambda a: a.resource.provider.name),
    exports.Column("申请部门", lambda a: a.requester.name),
    exports.Column("提交日期", lambda a: a.submitted_on),
    exports.Column("办理环节", lambda a: dict(Stage.choices).get(a.stage, "")),
    exports.Column("办理期限", lambda a: a.stage_deadline),
    exports.Column("状态", lambda a: a.get_status_display()),
    exports.Column("申请数据项", lambda a: field_names(a.resource, a.fields)),
    exports.Column("用途", lambda a: a.purpose),
]


def field_names(resource: Resource, codes: list[str]) -> list[str]:
    """The catalog's Chinese names of field codes (prefetch ``resource__fields`` for a list)."""
    names = {f.code_name: f.name for f in resource.fields.all()}
    return [names.get(code, code) for code in codes or []]


@page_permission("exchange.view")
def applications(request):
    principal = principal_of(request)
    items = _with_current_step(Application.objects.visible_to(principal).filtered(request.GET))
    if request.GET.get("export") == "xlsx":
        return exports.xlsx_response(principal, "共享申请", "共享申请.xlsx", APPLICATION_COLUMNS,
                                     items.prefetch_related("resource__fields"), {"filters": request.GET.dict()})
    return render(request, "exchange/applications.html", {
        "page": page_of(request, items, 20), **Application.objects.filter_values(request.GET),
        "statuses": ApplicationStatus.choices, "today": services.today(), "stages": Stage.choices,
        "can_apply": has_perm(principal, "exchange.apply")})


@page_permission("exchange.apply")
def apply(request):
    principal = principal_of(request)
    code = request.POST.get("resource") or request.GET.get("resource", "")
    resource = Resource.objects.filter(code=code, status=Status.PUBLISHED).first() if code else None
    choices = [(f.code_name, f.name) for f in resource.fields.all()] if resource else []
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
    if principal.department is not None:  # a department does not apply for its own data
        resources = resources.exclude(provider=principal.department)
    own = resource is not None and principal.department is not None and resource.provider_id == principal.department.pk
    return render(request, "exchange/apply.html", {"form": form, "resource": resource, "own": own,
                                                   "resources": resources[:500]})


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
        "field_names": field_names(item.resource, item.fields),
        "clear_names": field_names(item.resource, item.clear_fields),
        "approval_name": item.approval_file.name.rsplit("/", 1)[-1] if item.approval_file else "",
        "transitions": workflow.available(principal, item),
        "heading": f"{step.get_stage_display()}(期限 {step.deadline:%Y-%m-%d})" if step else "办理",
        "grant": getattr(item, "grant", None) if item.status == ApplicationStatus.APPROVED else None})


@page_permission("exchange.view")
def approval_file(request, app_id: int):
    """The leader's written approval of an application, for whoever may see the application."""
    principal = principal_of(request)
    item = get_object_or_404(Application.objects.visible_to(principal), pk=app_id)
    if not item.approval_file:
        raise Http404("该申请没有附件")
    try:
        handle = item.approval_file.open("rb")
    except OSError as exc:
        raise Http404("附件文件已不在存储中,请联系平台管理员") from exc
    audit.record(principal, "exchange.application.approval_read", item, {"file": item.approval_file.name})
    name = item.approval_file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name)


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


GRANT_COLUMNS = [
    exports.Column("授权编号", lambda g: g.pk),
    exports.Column("资源代码", lambda g: g.resource.code),
    exports.Column("资源名称", lambda g: g.resource.name),
    exports.Column("提供部门", lambda g: g.resource.provider.name),
    exports.Column("使用部门", lambda g: g.consumer.name),
    exports.Column("授权数据项", lambda g: field_names(g.resource, g.fields)),
    exports.Column("明文数据项", lambda g: field_names(g.resource, g.clear_fields)),
    exports.Column("用途", lambda g: g.purpose),
    exports.Column("起始日", lambda g: g.starts_on),
    exports.Column("到期日", lambda g: g.expires_on),
    exports.Column("状态", lambda g: g.get_status_display()),
]


@page_permission("exchange.view")
def grants(request):
    principal = principal_of(request)
    items = Grant.objects.visible_to(principal).filtered(request.GET).select_related(
        "resource__provider").prefetch_related("resource__fields")
    if request.GET.get("export") == "xlsx":
        return exports.xlsx_response(principal, "共享授权", "共享授权.xlsx", GRANT_COLUMNS, items,
                                     {"filters": request.GET.dict()})
    page = page_of(request, items, 20)
    for grant_row in page:
        grant_row.field_names = field_names(grant_row.resource, grant_row.fields)
    return render(request, "exchange/grants.html", {"page": page,
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
        "item": item, "issued": issued, "field_names": field_names(item.resource, item.fields),
        "clear_names": field_names(item.resource, item.clear_fields), "package_key": package_key, "is_consumer": is_consumer,
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


ACCESS_LOG_COLUMNS = [
    exports.Column("时间(北京时间)", lambda r: r.created_at),
    exports.Column("调用方", lambda r: labels.actor_label(r.actor)),
    exports.Column("方式", lambda r: labels.action_label(r.action)),
    exports.Column("详情", lambda r: ";".join(f"{k}:{v}" for k, v in labels.detail_items(r.detail))),
]


@page_permission("exchange.access_log")
def access_log(request, code: str):
    principal = principal_of(request)
    resource = get_object_or_404(Resource, code=code)
    records = services.access_log(principal, resource)
    found, values = audit.search(request.GET)  # 调用方 and date range, as on the audit log
    records = records.filter(pk__in=found.values("pk")) if any(values[k] for k in ("actor", "start", "end")) else records
    if request.GET.get("export") == "xlsx":
        return exports.xlsx_response(principal, f"调用记录 {resource.code}", f"调用记录-{resource.code}.xlsx",
                                     ACCESS_LOG_COLUMNS, records.order_by("seq").iterator(chunk_size=2000),
                                     {"resource": resource.code, "filters": request.GET.dict()})
    if values["error"]:
        messages.error(request, values["error"])
    page = page_of(request, records, 50)
    return render(request, "exchange/access_log.html", {"resource": resource, "page": page, **values,
                                                        "rows": usage_rows(page)})


@page_permission("exchange.delegate")
def delegates(request):
    from regshare.core.models import User

    from .models import ReviewDelegate

    principal = principal_of(request)
    # Reviewers of any department may act as agents; the bureau's and one's own people are listed too.
    candidates = User.objects.filter(is_active=True).exclude(pk=getattr(principal.user, "pk", None)).select_related(
        "department").order_by("department__code", "username")
    if request.method == "POST":
        try:
            if request.POST.get("end"):
                delegation = get_object_or_404(ReviewDelegate, pk=request.POST["end"])
                services.end_delegation(principal, delegation)
                messages.success(request, "授权代理已撤销。")
            else:
                user = candidates.filter(pk=request.POST.get("user", "0") if request.POST.get("user", "").isdigit()
                                         else 0).first()
                if user is None:
                    raise ValidationError("请从名单中选择授权代理人", code="unknown_user")
                code = request.POST.get("resource", "").strip()
                resource = get_object_or_404(Resource, code=code) if code else None
                services.delegate_review(principal, user, resource)
                messages.success(request, f"已指定 {user} 为授权代理方。")
            return redirect("exchange:delegates")
        except ValidationError as exc:
            _errors(request, exc)
    items = ReviewDelegate.objects.filter(provider=principal.department).select_related("delegate", "resource")
    resources = Resource.objects.filter(provider=principal.department, share_type=ShareType.CONDITIONAL).order_by("code")
    return render(request, "exchange/delegates.html", {"page": page_of(request, items, 20), "candidates": candidates,
                                                       "resources": resources})


# ----------------------------------------------------------------------------- data of a grant, receipts, usage

DATA_PAGE_ROWS = 50
FILTER_OPERATORS = [("eq", "等于"), ("contains", "包含"), ("gte", "不小于"), ("lte", "不大于"), ("ne", "不等于")]
DOWNLOAD_FORMATS = [("xlsx", "Excel"), ("csv", "CSV"), ("parquet", "Parquet")]


def _consumer_grant(request, grant_id: int) -> Grant:
    """The grant, for its consumer department only: the data page reads through the consumer's access."""
    principal = principal_of(request)
    item = get_object_or_404(Grant.objects.visible_to(principal).select_related("resource", "consumer"), pk=grant_id)
    if principal.department is None or principal.department.pk != item.consumer_id:
        raise PermissionDenied("只有使用部门可以通过本授权查看数据")
    return item


def _data_params(request) -> dict:
    """The page's filter form in the query API's terms (``field__op=value``, ``sort``, ``version``)."""
    params = {}
    field, op, value = (request.GET.get(k, "").strip() for k in ("field", "op", "value"))
    if field and value:
        params[f"{field}__{op or 'eq'}"] = value
    for name in ("sort", "version"):
        if request.GET.get(name, "").strip():
            params[name] = request.GET[name].strip()
    return params


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("p") or 1))
    except ValueError:
        return 1


@page_permission("exchange.access")
def grant_data(request, grant_id: int):
    """授权数据: the granted rows as a table, filtered and paged, masked exactly as the query API masks them."""
    principal = principal_of(request)
    item = _consumer_grant(request, grant_id)
    number = _page_number(request)
    result, error, columns = None, "", None
    try:
        columns = access.columns_for(principal, item.resource)
        params = {**_data_params(request), "limit": str(DATA_PAGE_ROWS)}
        if request.method == "POST":  # 调用记录凭证: the same query again, signed
            result = access.query_rows(principal, item.resource, params, want_receipt=True,
                                       offset=(number - 1) * DATA_PAGE_ROWS)
            messages.success(request, "已生成本次查询的调用记录凭证。")
            return redirect("exchange:receipt", result.receipt["receipt"]["id"])
        result = access.query_rows(principal, item.resource, params, offset=(number - 1) * DATA_PAGE_ROWS)
    except ValidationError as exc:
        error = ";".join(exc.messages)
    labels = columns.labels if columns else {}
    fields = result.fields if result else (columns.fields if columns else [])
    query = {k: v for k, v in request.GET.items() if k != "p"}
    if result is not None:
        query["version"] = str(result.version)  # later pages and downloads read the same version
    return render(request, "exchange/grant_data.html", {
        "item": item, "error": error, "number": number, "result": result,
        "offset_base": (number - 1) * DATA_PAGE_ROWS,
        "headers": access.header_names(fields, labels),
        "rows": [[row.get(f) for f in fields] for row in (result.rows if result else [])],
        "usable": [(f, labels.get(f) or f) for f in (columns.usable if columns else [])],
        "masked": [labels.get(f) or f for f in (columns.fields if columns else []) if f not in columns.usable],
        "operators": FILTER_OPERATORS, "formats": DOWNLOAD_FORMATS, "query": urlencode(query),
        "field": request.GET.get("field", ""), "op": request.GET.get("op", "eq"),
        "value": request.GET.get("value", ""), "sort": request.GET.get("sort", "")})


@page_permission("exchange.access")
def grant_download(request, grant_id: int):
    """The grant's rows as Excel, CSV or Parquet with Chinese column headers (the same filter as the page)."""
    principal = principal_of(request)
    item = _consumer_grant(request, grant_id)
    try:
        result = access.download(principal, item.resource, request.GET.get("format", "xlsx"), _data_params(request),
                                 want_receipt=request.GET.get("receipt") == "1", headers="name")
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(reverse("exchange:grant_data", args=[item.pk]) + "?" + request.GET.urlencode())
    response = StreamingHttpResponse(result.chunks, content_type=result.content_type)
    response["Content-Disposition"] = content_disposition_header(True, result.filename)
    if result.receipt_id:
        response["X-Receipt-Id"] = result.receipt_id
    return response


def _receipt_context(principal, receipt_id: str) -> dict:
    document = access.get_receipt(principal, receipt_id)
    body = document["receipt"]
    resource = Resource.objects.filter(code=body.get("resource", "")).first()
    issued = parse_datetime(body.get("issued_at") or "")
    valid, verdict = receipts.verify(document)
    names = access.field_labels(resource) if resource is not None else {}
    query = {k: v for k, v in (body.get("query") or {}).items()
             if k not in ("offset", "limit", "format", "complete") or v}
    return {"document": document, "body": body, "resource": resource, "valid": valid, "verdict": verdict,
            "caller": labels.actor_label(body.get("principal", "")),
            "conditions": [_condition_text(k, v, names) for k, v in query.items()],
            "issued": timezone.localtime(issued) if issued else None,
            "channel": RECEIPT_CHANNELS.get(body.get("channel", ""), body.get("channel", "")),
            "document_json": json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)}


QUERY_WORDS = {"sort": "排序", "version": "版本", "as_of": "截至", "fields": "数据项", "offset": "起始行",
               "limit": "每页行数", "format": "格式", "complete": "完整下载", "cursor": "游标"}


def _condition_text(key: str, value, names: dict[str, str]) -> str:
    """One query parameter of a receipt in words: ``uscc__eq=…`` → 统一社会信用代码 等于 …."""
    if key in QUERY_WORDS:
        if key == "sort":
            value = "、".join(f"{names.get(p.lstrip('-+'), p.lstrip('-+'))}{'降序' if p.startswith('-') else '升序'}"
                             for p in str(value).split(",") if p)
        if isinstance(value, bool):
            value = "是" if value else "否"
        return f"{QUERY_WORDS[key]}:{value}"
    field, _, op = key.partition("__")
    operators = dict(FILTER_OPERATORS) | {"gt": "大于", "lt": "小于", "in": "属于"}
    return f"{names.get(field, field)} {operators.get(op or 'eq', op)} {value}"


RECEIPT_CHANNELS = {"query": "查询", "download": "下载", "proxy": "接口代理", "entity_page": "市场主体页面"}


@page_permission("exchange.receipt")
def receipt(request, receipt_id: str):
    """调用记录凭证 as a page (times in Beijing time), with its PDF and the signed JSON."""
    context = _receipt_context(principal_of(request), receipt_id)
    if request.GET.get("format") == "json":
        response = HttpResponse(context["document_json"], content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"调用记录凭证-{receipt_id}.json")
        return response
    return render(request, "exchange/receipt.html", context)


@page_permission("exchange.receipt")
def receipt_pdf(request, receipt_id: str):
    from weasyprint import HTML

    html = render_to_string("exchange/receipt_pdf.html", _receipt_context(principal_of(request), receipt_id))
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"调用记录凭证-{receipt_id}.pdf")
    return response


@page_permission("exchange.access")
def usage(request):
    """本部门用数记录: what the department read, when, through which channel and with which receipt."""
    principal = principal_of(request)
    records = access.department_usage(principal, request.GET)
    page = page_of(request, records, 30)
    rows = usage_rows(page)
    return render(request, "exchange/usage.html", {"page": page, "rows": rows, "q": request.GET.get("q", ""),
                                                   "channel": request.GET.get("channel", ""),
                                                   "channels": list(RECEIPT_CHANNELS.items())})


def usage_rows(records) -> list[dict]:
    """Each audit record of a read as the page shows it: resource, channel, rows, receipt."""
    codes = {r.target.removeprefix("resource:") for r in records}
    names = dict(Resource.objects.filter(code__in=codes).values_list("code", "name"))
    actors = labels.actor_labels({r.actor for r in records})
    out = []
    for record in records:
        detail = _detail(record.detail)
        code = record.target.removeprefix("resource:")
        channel = record.action.removeprefix("exchange.access.")
        out.append({"record": record, "actor": actors.get(record.actor, record.actor), "code": code, "name": names.get(code, ""), "rows": detail.get("rows"),
                    "channel": RECEIPT_CHANNELS.get(channel, channel), "receipt": detail.get("receipt", ""),
                    "version": detail.get("version"), "entity": detail.get("entity_name", "")})
    return out


def _detail(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
