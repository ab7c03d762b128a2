"""Entity pages: search, 一企一档, linkage review queue (thin: services hold the rules)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from regshare.core import panels
from regshare.core.pages import page_of
from regshare.core.permissions import page_permission, principal_of

from . import services
from .models import Entity


@page_permission("entities.view")
def entity_list(request):
    principal = principal_of(request)
    page = page_of(request, Entity.objects.visible_to(principal).filtered(request.GET), 20)
    return render(request, "entities/list.html", {
        "page": page, **Entity.objects.filter_values(request.GET), "statuses": ["存续", "在业", "吊销", "注销"],
        "columns": panels.columns_for(services.ENTITY_LIST),
        "rows": panels.column_cells(services.ENTITY_LIST, principal, list(page.object_list))})


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
