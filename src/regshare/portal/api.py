"""The open-data API (开放数据接口): no token, limited per client address, every read audited."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema

from regshare.core import ratelimit
from regshare.core.auth import allow, client_address
from regshare.core.pagination import Mapped, PageNumberPagination, paginate
from regshare.core.permissions import PUBLIC

from . import services

router = Router(tags=["portal"])


def _limit(request: HttpRequest) -> None:
    ratelimit.check("portal", client_address(request), settings.REGSHARE_PORTAL_RATE_PER_IP,
                    "开放数据接口调用过于频繁,请 {retry_after} 秒后再试。")


class ColumnOut(Schema):
    code: str
    label: str
    masked: bool


class OpenResourceOut(Schema):
    code: str
    name: str
    summary: str
    provider: str
    update_frequency: str
    columns: list[ColumnOut]


class RowsOut(Schema):
    code: str
    version: int | None
    columns: list[ColumnOut]
    total: int
    offset: int
    limit: int
    rows: list[dict]


def _resource_out(resource) -> dict:
    return {"code": resource.code, "name": resource.name, "summary": resource.summary,
            "provider": resource.provider.name, "update_frequency": resource.get_update_frequency_display(),
            "columns": [c.__dict__ for c in services.columns(resource)]}


@router.get("/resources", response=list[OpenResourceOut], summary="开放数据资源列表", auth=allow(PUBLIC))
@paginate(PageNumberPagination, page_size=20)
def list_open_resources(request: HttpRequest, q: str = ""):
    _limit(request)
    services.record_read(client_address(request), "api.list", "portal:open_data", {"q": q[:100]})
    return Mapped(services.open_resources({"q": q}), _resource_out)


@router.get("/resources/{code}/rows", response=RowsOut, summary="开放数据行(个人信息已脱敏)", auth=allow(PUBLIC))
def open_rows(request: HttpRequest, code: str, offset: int = 0, limit: int = 100):
    _limit(request)
    resource = services.open_resource(code)
    page = services.rows(resource, offset=offset, limit=limit)
    services.record_read(client_address(request), "api.rows", f"resource:{resource.code}",
                         {"offset": offset, "limit": limit, "rows": len(page.rows)})
    names = [c.code for c in page.columns]
    return {"code": resource.code, "version": page.version, "columns": [c.__dict__ for c in page.columns],
            "total": page.total, "offset": page.offset, "limit": page.limit,
            "rows": [dict(zip(names, row, strict=True)) for row in page.rows]}
