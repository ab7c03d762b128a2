"""The public portal's pages (公众门户): no login, rate-limited per address, every read audited.

Open data with preview and download, the one-stop credit look-up (published items only, personal data
masked), 双公示, random-inspection plans and results with their draw records.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render

from regshare.core import ratelimit
from regshare.core.auth import client_address
from regshare.core.pages import page_of
from regshare.core.permissions import PUBLIC, page_permission
from regshare.credit import services as credit
from regshare.entities import services as entities
from regshare.exchange.masking import mask_value

from . import services


def public_page(view: Callable) -> Callable:
    """A portal page: open to everyone, limited to REGSHARE_PORTAL_RATE_PER_IP requests per address."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        verdict = ratelimit.hit("portal", client_address(request), settings.REGSHARE_PORTAL_RATE_PER_IP)
        if not verdict.allowed:
            response = render_portal(request, "portal/rate_limited.html", {"retry_after": verdict.retry_after},
                                     status=429)
            response["Retry-After"] = str(verdict.retry_after)
            return response
        return view(request, *args, **kwargs)

    return page_permission(PUBLIC)(limited)


def render_portal(request, template: str, context: dict | None = None, status: int = 200) -> HttpResponse:
    return render(request, template, {"operator": settings.REGSHARE_PORTAL_OPERATOR,
                                      "contact": settings.REGSHARE_PORTAL_CONTACT, **(context or {})}, status=status)


def _read(request, action: str, target: str, detail: dict | None = None) -> None:
    services.record_read(client_address(request), action, target, detail)


@public_page
def index(request):
    return render_portal(request, "portal/index.html", {
        "open_count": services.open_resources().count(),
        "latest": services.open_resources().order_by("-published_at", "code")[:6],
    })


# ----------------------------------------------------------------------------- open data


@public_page
def open_data(request):
    items = services.open_resources(request.GET)
    _read(request, "open_data.list", "portal:open_data", {"q": request.GET.get("q", "")[:100]})
    return render_portal(request, "portal/open_data.html", {
        "page": page_of(request, items, 20), **services.OPEN_DATA_FILTERS.values(request.GET)})


@public_page
def open_resource(request, code: str):
    resource = services.open_resource(code)
    try:
        number = min(max(1, int(request.GET.get("page") or 1)), services.MAX_OFFSET // services.PREVIEW_ROWS)
    except ValueError:
        number = 1
    preview = services.rows(resource, offset=(number - 1) * services.PREVIEW_ROWS)
    _read(request, "open_data.preview", f"resource:{resource.code}", {"page": number, "rows": len(preview.rows)})
    return render_portal(request, "portal/open_resource.html", {
        "resource": resource, "preview": preview, "number": number,
        "previous": number - 1 if number > 1 else None, "next": number + 1 if preview.has_next else None})


@public_page
def open_download(request, code: str, fmt: str):
    resource = services.open_resource(code)
    try:
        file = services.download(resource, fmt)
    except ValidationError as exc:
        preview = services.rows(resource)
        return render_portal(request, "portal/open_resource.html", {
            "resource": resource, "preview": preview, "number": 1, "previous": None,
            "next": 2 if preview.has_next else None, "error": ";".join(exc.messages)}, status=400)
    _read(request, "open_data.download", f"resource:{resource.code}", {"format": fmt, "rows": file.rows})
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = _attachment(file.filename)
    return response


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"{quote(filename.encode('ascii', 'ignore').decode() or 'data')}\"; " \
           f"filename*=UTF-8''{quote(filename)}"


# ----------------------------------------------------------------------------- credit look-up


@public_page
def credit_search(request):
    q = request.GET.get("q", "").strip()[:100]
    page = None
    if q:
        page = page_of(request, entities.search(q).only("uscc", "name", "status", "established"), 20)
        _read(request, "credit.search", "portal:credit", {"q": q})
    return render_portal(request, "portal/credit_search.html", {"q": q, "page": page})


@public_page
def credit_entity(request, uscc: str):
    try:
        entity = entities.get_entity(uscc)
    except ValidationError as exc:
        raise Http404(";".join(exc.messages)) from exc
    _read(request, "credit.entity", f"entity:{entity.uscc}")
    return render_portal(request, "portal/credit_entity.html", {
        "entity": entity,
        "legal_rep": mask_value("person_name", entity.legal_rep) if entity.legal_rep else "",
        "address": mask_value("address", entity.address) if entity.address else "",
        "records": credit.public_records(entity),
        "lists": credit.public_lists(entity),
    })


# ----------------------------------------------------------------------------- 双公示


@public_page
def publicity(request):
    items = services.publicity(request.GET)
    _read(request, "publicity.list", "portal:publicity", services.PUBLICITY_FILTERS.values(request.GET))
    return render_portal(request, "portal/publicity.html", {
        "page": page_of(request, items, 20), "kinds": [(k.value, k.label) for k in services.PUBLICITY_KINDS],
        **services.PUBLICITY_FILTERS.values(request.GET)})


# ----------------------------------------------------------------------------- 双随机、一公开


@public_page
def inspections(request):
    q = request.GET.get("q", "").strip()[:100]
    _read(request, "inspections.list", "portal:inspections", {"q": q})
    return render_portal(request, "portal/inspections.html", {
        "page": page_of(request, services.inspection_plans(q), 20), "q": q})


@public_page
def inspection(request, code: str):
    task = services.inspection_plan(code)
    _read(request, "inspections.task", f"task:{task.code}")
    return render_portal(request, "portal/inspection.html", {
        "task": task, "published": services.results_published(task),
        "page": page_of(request, services.inspection_results(task), 50)})



# ----------------------------------------------------------------------------- evaluation reports


@public_page
def reports(request):
    q = request.GET.get("q", "").strip()[:100]
    _read(request, "reports.list", "portal:reports", {"q": q})
    return render_portal(request, "portal/reports.html", {"page": page_of(request, services.reports(q), 20), "q": q})


@public_page
def report(request, report_id: int):
    found = services.report(report_id)
    _read(request, "reports.view", f"report:{found.pk}")
    return render_portal(request, "portal/report.html", {"report": found})


@public_page
def report_file(request, report_id: int, fmt: str):
    file = services.report_file(report_id, fmt)
    _read(request, "reports.download", f"report:{report_id}", {"format": fmt})
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = _attachment(file.filename)
    return response
