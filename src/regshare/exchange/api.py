"""Exchange API, mounted at ``/api/v1``: applications, reviews, grants, data access, receipts,
subscriptions, proxy, corrections. Thin: every rule is in ``services``."""

from __future__ import annotations

import datetime as dt
import json
import os

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from regshare.catalog.models import Resource
from regshare.core import workflow
from regshare.core.auth import allow
from regshare.core.pagination import PageNumberPagination, paginate
from regshare.core.permissions import PUBLIC, principal_of

from . import receipts, services
from .models import Application, Correction, Grant, Subscription

router = Router(tags=["exchange"])


class StepOut(Schema):
    stage: str
    department_id: int
    opened_on: dt.date
    deadline: dt.date
    decision: str
    reason: str
    delegated: bool


class ApplicationOut(Schema):
    id: int
    number: str
    requester_id: int
    resource_code: str
    fields: list[str]
    clear_fields: list[str]
    purpose: str
    scenario: str
    legal_basis: str
    period_start: dt.date
    period_end: dt.date
    status: str
    submitted_on: dt.date
    steps: list[StepOut]

    @staticmethod
    def resolve_resource_code(obj: Application) -> str:
        return obj.resource.code

    @staticmethod
    def resolve_steps(obj: Application) -> list:
        return list(obj.steps.order_by("id"))


class ApplicationIn(Schema):
    resource: str
    fields: str  # comma-separated field codes (multipart form)
    clear_fields: str = ""
    row_filter: str = ""  # JSON: {"field": ["allowed", ...]}
    purpose: str
    scenario: str
    legal_basis: str
    period_start: dt.date
    period_end: dt.date


class ReviewIn(Schema):
    approve: bool
    reason: str = ""
    clear_fields: list[str] | None = None


class NoteIn(Schema):
    note: str


class NegotiationIn(Schema):
    agreed: bool
    note: str


class GrantOut(Schema):
    id: int
    resource_code: str
    consumer_id: int
    fields: list[str]
    clear_fields: list[str]
    row_filter: dict
    purpose: str
    starts_on: dt.date
    expires_on: dt.date
    status: str

    @staticmethod
    def resolve_resource_code(obj: Grant) -> str:
        return obj.resource.code


class ReasonIn(Schema):
    reason: str


class TokenIn(Schema):
    name: str
    days_valid: int = 365


class TokenOut(Schema):
    token: str
    prefix: str
    expires_at: dt.datetime
    grant: int


class DestructionIn(Schema):
    destroyed_on: dt.date
    method: str
    copies: str
    witness: str = ""


class RowsOut(Schema):
    resource: str
    version: int
    fields: list[str]
    rows: list[dict]
    next_cursor: str | None
    receipt: dict | None = None


class SubscriptionIn(Schema):
    grant: int
    url: str
    from_version: int | None = None


class SubscriptionOut(Schema):
    id: int
    grant_id: int
    url: str
    active: bool
    delivered_version: int


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str


class ReplayIn(Schema):
    from_version: int


class CorrectionIn(Schema):
    resource: str
    key: dict[str, str]
    field: str
    proposed_value: str
    explanation: str


class CorrectionOut(Schema):
    id: int
    resource_code: str
    key: dict
    field: str
    reported_value: str
    proposed_value: str
    status: str
    deadline: dt.date
    answer: str
    new_version: int | None

    @staticmethod
    def resolve_resource_code(obj: Correction) -> str:
        return obj.resource.code


class AnswerIn(Schema):
    accept: bool
    answer: str
    corrected_value: str | None = None


def _wants_receipt(request) -> bool:
    return request.GET.get("receipt") in ("1", "true") or request.headers.get("X-Regshare-Receipt") in ("1", "true")


def _resource(code: str) -> Resource:
    resource = services.resource_by_code(code)
    if resource is None:
        raise Http404(f"资源 {code} 不存在")
    return resource


# ----------------------------------------------------------------------------- applications


@router.post("/applications", response={201: ApplicationOut}, summary="提交共享申请", auth=allow("exchange.apply"))
def submit(request, payload: Form[ApplicationIn], approval_file: File[UploadedFile]):
    resource = Resource.objects.filter(code=payload.resource).first()
    if resource is None:
        raise ValidationError(f"资源 {payload.resource} 不存在", code="unknown_resource")
    try:
        row_filter = json.loads(payload.row_filter) if payload.row_filter.strip() else {}
    except ValueError as exc:
        raise ValidationError("行范围须为 JSON 对象", code="bad_row_filter") from exc
    data = services.ApplicationInput(
        resource=resource, fields=[f.strip() for f in payload.fields.split(",")], row_filter=row_filter,
        clear_fields=[f.strip() for f in payload.clear_fields.split(",") if f.strip()], purpose=payload.purpose,
        scenario=payload.scenario, legal_basis=payload.legal_basis, period_start=payload.period_start,
        period_end=payload.period_end, approval_file=approval_file)
    return 201, services.submit_application(principal_of(request), data)


@router.get("/applications", response=list[ApplicationOut], summary="共享申请列表", auth=allow("exchange.view"))
@paginate(PageNumberPagination, page_size=20)
def list_applications(request, status: str = "", q: str = ""):
    return Application.objects.visible_to(principal_of(request)).filtered({"status": status, "q": q})


@router.get("/applications/{app_id}", response=ApplicationOut, summary="共享申请详情", auth=allow("exchange.view"))
def get_application(request, app_id: int):
    return get_object_or_404(Application.objects.visible_to(principal_of(request)), pk=app_id)


def _application(request, app_id: int) -> Application:
    return get_object_or_404(Application.objects.visible_to(principal_of(request)), pk=app_id)


class ActionOut(Schema):
    name: str
    label: str
    required: list[str]


class ActionIn(Schema):
    reason: str = ""
    note: str = ""
    answer: str = ""
    corrected_value: str = ""


def _act(request, obj, name: str, payload: ActionIn):
    transition = workflow.find(obj, name)[1]
    keys = {key for key, _ in transition.required + transition.fields}
    return workflow.perform(principal_of(request), obj, name,
                            **{k: v for k, v in payload.dict().items() if k in keys})


@router.get("/applications/{app_id}/actions", response=list[ActionOut], summary="我可以办理的操作",
            auth=allow("exchange.view"))
def application_actions(request, app_id: int):
    return workflow.actions(principal_of(request), _application(request, app_id))


@router.post("/applications/{app_id}/actions/{name}", response=ApplicationOut, summary="办理一项操作",
             auth=allow("exchange.view"))
def application_act(request, app_id: int, name: str, payload: ActionIn):
    return _act(request, _application(request, app_id), name, payload)


@router.post("/applications/{app_id}/review", response=ApplicationOut, summary="审核(平台/提供部门)",
             auth=allow("exchange.review"))
def review(request, app_id: int, payload: ReviewIn):
    return services.review(principal_of(request), _application(request, app_id), payload.approve, payload.reason,
                           clear_fields=payload.clear_fields)


@router.post("/applications/{app_id}/negotiate", response=ApplicationOut, summary="发起协商",
             auth=allow("exchange.apply"))
def negotiate(request, app_id: int, payload: NoteIn):
    return services.start_negotiation(principal_of(request), _application(request, app_id), payload.note)


@router.post("/applications/{app_id}/negotiation-result", response=ApplicationOut, summary="登记协商结果",
             auth=allow("exchange.review"))
def negotiation_result(request, app_id: int, payload: NegotiationIn):
    return services.conclude_negotiation(principal_of(request), _application(request, app_id), payload.agreed,
                                         payload.note)


@router.post("/applications/{app_id}/coordinate", response=ApplicationOut, summary="数据管理部门协调决定",
             auth=allow("exchange.review"))
def coordinate(request, app_id: int, payload: ReviewIn):
    return services.coordinate(principal_of(request), _application(request, app_id), payload.approve, payload.reason)


@router.post("/applications/{app_id}/withdraw", response=ApplicationOut, summary="撤回申请",
             auth=allow("exchange.apply"))
def withdraw(request, app_id: int):
    return services.withdraw(principal_of(request), _application(request, app_id))


@router.get("/review-queue", response=list[ApplicationOut], summary="我的审核队列(按期限排序)",
            auth=allow("exchange.review"))
@paginate(PageNumberPagination, page_size=20)
def review_queue(request):
    return [step.application for step in services.review_queue(principal_of(request))]


# ----------------------------------------------------------------------------- grants


@router.get("/grants", response=list[GrantOut], summary="共享授权列表", auth=allow("exchange.view"))
@paginate(PageNumberPagination, page_size=20)
def list_grants(request, status: str = "", q: str = ""):
    return Grant.objects.visible_to(principal_of(request)).filtered({"status": status, "q": q})


@router.get("/grants/{grant_id}", response=GrantOut, summary="授权详情", auth=allow("exchange.view"))
def get_grant(request, grant_id: int):
    return get_object_or_404(Grant.objects.visible_to(principal_of(request)), pk=grant_id)


@router.post("/grants/{grant_id}/revoke", response=GrantOut, summary="收回授权(切断共享通道)",
             auth=allow("exchange.revoke"))
def revoke(request, grant_id: int, payload: ReasonIn):
    grant = get_object_or_404(Grant.objects.visible_to(principal_of(request)), pk=grant_id)
    return services.revoke_grant(principal_of(request), grant, payload.reason)


@router.post("/grants/{grant_id}/tokens", response={201: TokenOut}, summary="签发绑定授权的令牌",
             auth=allow("exchange.token"))
def grant_token(request, grant_id: int, payload: TokenIn):
    grant = get_object_or_404(Grant.objects.visible_to(principal_of(request)), pk=grant_id)
    issued = services.issue_grant_token(principal_of(request), grant, payload.name, payload.days_valid)
    return 201, {"token": issued.secret, "prefix": issued.token.prefix, "expires_at": issued.token.expires_at,
                 "grant": grant.pk}


@router.post("/grants/{grant_id}/destruction", response={201: dict}, summary="登记销毁记录",
             auth=allow("exchange.destroy"))
def destruction(request, grant_id: int, payload: DestructionIn):
    grant = get_object_or_404(Grant.objects.visible_to(principal_of(request)), pk=grant_id)
    record = services.record_destruction(principal_of(request), grant, destroyed_on=payload.destroyed_on,
                                         method=payload.method, copies=payload.copies, witness=payload.witness)
    return 201, {"id": record.pk, "grant": grant.pk, "destroyed_on": record.destroyed_on.isoformat()}


# ----------------------------------------------------------------------------- data access


@router.get("/resources/{code}/rows", response=RowsOut, summary="查询授权数据(筛选、排序、游标分页、as_of)",
            auth=allow("exchange.access"))
def rows(request, code: str):
    """Filters: ``<field>=v``, ``<field>__in=a,b``, ``__gte/__lte/__gt/__lt/__ne/__contains``; ``sort=-field``;
    ``limit`` (≤1000); ``cursor`` from the previous page; ``as_of`` (date or ISO time) or ``version``;
    ``receipt=1`` (or header ``X-Regshare-Receipt: 1``) adds a signed receipt."""
    result = services.query_rows(principal_of(request), _resource(code), dict(request.GET.items()),
                                 want_receipt=_wants_receipt(request))
    return result.__dict__


@router.get("/resources/{code}/download", summary="批量下载(CSV / XLSX / Parquet,流式)",
            auth=allow("exchange.access"))
def download(request, code: str, format: str = "csv", header: str = "code"):  # noqa: A002 - the public parameter name
    """``header=name`` heads the columns with the catalog's Chinese field names instead of the field codes."""
    params = {k: v for k, v in request.GET.items() if k not in ("format", "header")}
    result = services.download(principal_of(request), _resource(code), format, params,
                               want_receipt=_wants_receipt(request), headers=header)
    response = StreamingHttpResponse(result.chunks, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    if result.receipt_id:
        response["X-Regshare-Receipt-Id"] = result.receipt_id
    return response


@router.get("/resources/{code}/proxy/{path:path}", summary="接口代理(调用提供部门自有接口)",
            auth=allow("exchange.access"))
def proxy(request, code: str, path: str):
    result, signed = services.proxy_call(principal_of(request), _resource(code), path, dict(request.GET.items()),
                                         want_receipt=_wants_receipt(request))
    return {"data": result, "receipt": signed} if signed else {"data": result}


class ProxyEndpointIn(Schema):
    base_url: str
    timeout: float = 10.0


@router.put("/resources/{code}/proxy-endpoint", summary="登记代理接口(提供部门自有服务)",
            auth=allow("exchange.provide"))
def register_proxy(request, code: str, payload: ProxyEndpointIn):
    endpoint = services.register_proxy(principal_of(request), _resource(code), payload.base_url, payload.timeout)
    return {"resource": code, "base_url": endpoint.base_url, "timeout": endpoint.timeout}


@router.get("/receipts/public-key", summary="平台凭证公钥(Ed25519,base64)", auth=allow(PUBLIC))
def public_key(request):
    return {"algorithm": "Ed25519", "public_key": receipts.public_key_text()}


@router.get("/receipts/{receipt_id}", summary="取回调用记录凭证", auth=allow("exchange.receipt"))
def get_receipt(request, receipt_id: str):
    return services.get_receipt(principal_of(request), receipt_id)


# ----------------------------------------------------------------------------- subscriptions


@router.post("/subscriptions", response={201: SubscriptionCreatedOut}, summary="订阅增量更新",
             auth=allow("exchange.subscribe"))
def subscribe(request, payload: SubscriptionIn):
    grant = get_object_or_404(Grant.objects.visible_to(principal_of(request)), pk=payload.grant)
    return 201, services.subscribe(principal_of(request), grant, payload.url, from_version=payload.from_version)


@router.get("/subscriptions", response=list[SubscriptionOut], summary="订阅列表", auth=allow("exchange.subscribe"))
@paginate(PageNumberPagination, page_size=20)
def list_subscriptions(request, q: str = ""):
    return Subscription.objects.visible_to(principal_of(request)).filtered({"q": q})


def _subscription(request, sub_id: int) -> Subscription:
    return get_object_or_404(Subscription.objects.visible_to(principal_of(request)), pk=sub_id)


@router.post("/subscriptions/{sub_id}/replay", response=SubscriptionOut, summary="从某版本起重放",
             auth=allow("exchange.subscribe"))
def replay(request, sub_id: int, payload: ReplayIn):
    return services.replay(principal_of(request), _subscription(request, sub_id), payload.from_version)


@router.delete("/subscriptions/{sub_id}", response={204: None}, summary="取消订阅", auth=allow("exchange.subscribe"))
def unsubscribe(request, sub_id: int):
    services.unsubscribe(principal_of(request), _subscription(request, sub_id))
    return 204, None


# ----------------------------------------------------------------------------- corrections


@router.post("/corrections", response={201: CorrectionOut}, summary="提交纠错", auth=allow("exchange.correct"))
def report_correction(request, payload: CorrectionIn):
    resource = Resource.objects.filter(code=payload.resource).first()
    if resource is None:
        raise ValidationError(f"资源 {payload.resource} 不存在", code="unknown_resource")
    return 201, services.report_correction(principal_of(request), resource, payload.key, payload.field,
                                           payload.proposed_value, payload.explanation)


@router.get("/corrections", response=list[CorrectionOut], summary="纠错列表", auth=allow("exchange.view"))
@paginate(PageNumberPagination, page_size=20)
def list_corrections(request, status: str = "", q: str = ""):
    return Correction.objects.visible_to(principal_of(request)).filtered({"status": status, "q": q})


@router.get("/corrections/{correction_id}/actions", response=list[ActionOut], summary="我可以办理的纠错操作",
            auth=allow("exchange.view"))
def correction_actions(request, correction_id: int):
    correction = get_object_or_404(Correction.objects.visible_to(principal_of(request)), pk=correction_id)
    return workflow.actions(principal_of(request), correction)


@router.post("/corrections/{correction_id}/answer", response=CorrectionOut, summary="答复纠错",
             auth=allow("exchange.provide"))
def answer_correction(request, correction_id: int, payload: AnswerIn):
    correction = get_object_or_404(Correction.objects.visible_to(principal_of(request)), pk=correction_id)
    return services.answer_correction(principal_of(request), correction, payload.accept, payload.answer,
                                      payload.corrected_value)


@router.post("/grants/{grant_id}/offline-package", summary="制作离线共享包(密钥在响应头,仅此一次)",
             auth=allow("exchange.provide"))
def offline_package(request, grant_id: int):
    grant = get_object_or_404(Grant.objects.visible_to(principal_of(request)), pk=grant_id)
    record, blob, key = services.build_offline_package(principal_of(request), grant)
    response = HttpResponse(blob, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{record.file_name}"'
    response["X-Regshare-Package-Key"] = key
    response["X-Regshare-Package-Id"] = str(record.pk)
    return response


# The benchmark's baseline: the same look-up with no authentication, masking or audit. It exists
# only in a process started with REGSHARE_BENCH_BARE=1 (bench/access.py); production never sets it.
if os.environ.get("REGSHARE_BENCH_BARE") == "1":

    @router.get("/bench/bare/resources/{code}/rows", response=RowsOut, summary="基准测试专用",
                auth=allow(PUBLIC), include_in_schema=False)
    def bench_bare(request, code: str):
        from .access import query_rows_unsecured

        return query_rows_unsecured(_resource(code), dict(request.GET.items())).__dict__
