"""Public one-stop credit look-up (信用信息一站式查询): published items only, personal data masked."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from regshare.core.pages import page_of
from regshare.core.permissions import PUBLIC, page_permission
from regshare.credit import services as credit
from regshare.entities import services as entities
from regshare.exchange.masking import mask_value


@page_permission(PUBLIC)
def index(request):
    return redirect("portal:credit_search")


@page_permission(PUBLIC)
def credit_search(request):
    q = request.GET.get("q", "").strip()
    page = None
    if q:
        page = page_of(request, entities.search(q).only("uscc", "name", "status", "established"), 20)
    return render(request, "portal/credit_search.html", {"q": q, "page": page})


@page_permission(PUBLIC)
def credit_entity(request, uscc: str):
    try:
        entity = entities.get_entity(uscc)
    except ValidationError as exc:
        raise Http404(";".join(exc.messages)) from exc
    return render(request, "portal/credit_entity.html", {
        "entity": entity,
        "legal_rep": mask_value("person_name", entity.legal_rep) if entity.legal_rep else "",
        "address": mask_value("address", entity.address) if entity.address else "",
        "records": credit.public_records(entity),
        "lists": credit.public_lists(entity),
    })
