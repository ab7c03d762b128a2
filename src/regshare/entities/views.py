"""Entity pages: search, 一企一档, linkage review queue (thin: services hold the rules)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from regshare.core import exports, panels
from regshare.core.pages import page_of
from regshare.core.permissions import page_permission, principal_of

from . import services
from .models import Entity


@page_permission("entities.view")
def entity_list(request):
    principal = principal_of(request)
    items = Entity.objects.visible_to(principal).filtered(request.GET)
    if request.GET.get("export") == "xlsx":
        return _export_entities(principal, items, request.GET.dict())
    page = page_of(request, items, 20)
    return render(request, "entities/list.html", {
        "page": page, **Entity.objects.filter_values(request.GET), "statuses": ["存续", "在业", "吊销", "注销"],
        "columns": panels.columns_for(services.ENTITY_LIST),
        "rows": panels.column_cells(services.ENTITY_LIST, principal, list(page.object_list))})


ENTITY_COLUMNS = [
    exports.Column("统一社会信用代码", lambda e: e.uscc),
    exports.Column("企业名称", lambda e: e.name),
    exports.Column("登记状态", lambda e: e.status),
    exports.Column("成立日期", lambda e: e.established),
    exports.Column("注册资本(万元)", lambda e: float(e.capital) if e.capital is not None else None),
    exports.Column("行业代码", lambda e: e.industry),
]
EXPORT_BATCH = 2000


def _export_entities(principal, items, filters: dict):
    """The list as Excel: the entities' public registration fields and the columns other apps add to the
    list (risk class…), read a batch at a time. Personal fields stay out, as on the list page."""
    columns = panels.columns_for(services.ENTITY_LIST)

    def rows():
        batch: list = []
        for entity in items.order_by("uscc").iterator(chunk_size=EXPORT_BATCH):
            batch.append(entity)
            if len(batch) == EXPORT_BATCH:
                yield from _with_cells(batch)
                batch = []
        yield from _with_cells(batch)

    def _with_cells(batch):
        for entity, cells in panels.column_cells(services.ENTITY_LIST, principal, batch):
            entity.extra_cells = cells
            yield entity

    extra = [exports.Column(c.title, lambda e, i=i: e.extra_cells[i]) for i, c in enumerate(columns)]
    return exports.xlsx_response(principal, "市场主体", "市场主体.xlsx", ENTITY_COLUMNS + extra, rows(),
                                 {"filters": filters})


@page_permission("entities.view")
def entity_detail(request, uscc: str):
    try:
        entity = services.get_entity(uscc)
    except ValidationError as exc:
        raise Http404(";".join(exc.messages)) from exc
    principal = principal_of(request)
    data = services.profile(principal, entity)
    data["panels"] = [(title, mark_safe(html))  # noqa: S308  (rendered by the panel's own template)
                      for title, html in services.detail_panels(principal, entity)]
    return render(request, "entities/detail.html", data)


@page_permission("entities.review")
def review(request):
    q = request.GET.get("q", "").strip()
    page = page_of(request, services.review_queue(q), 20)
    return render(request, "entities/review.html", {"page": page, "q": q})


@require_POST
@page_permission("entities.review")
def decide(request, link_id: int):
    accept = request.POST.get("decision") == "confirm"
    try:
        link = services.decide_candidate(principal_of(request), link_id, accept, request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, f"已{'确认' if accept else '否决'}:{link.raw_name}")
    return redirect("entities:review")
