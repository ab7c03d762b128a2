"""Entity master API: search, 一企一档 profile, linkage review queue."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from regshare.core import panels
from regshare.core.auth import allow
from regshare.core.pagination import Mapped, PageNumberPagination, paginate

from . import services
from .models import Entity
from .schemas import CandidateOut, DecisionIn, EntityOut, ProfileOut

router = Router(tags=["entities"])


@router.get("", response=list[EntityOut], auth=allow("entities.view"), summary="按代码或名称检索市场主体")
@paginate(PageNumberPagination, page_size=20)
def search(request: HttpRequest, q: str = "", status: str = ""):
    principal = request.auth

    def with_columns(entities: list) -> list[dict]:
        values = panels.column_values(services.ENTITY_LIST, principal, entities)
        return [{**EntityOut.model_validate(entity).model_dump(),
                 "columns": {key: found.get(entity.pk) for key, found in values.items()}} for entity in entities]

    entities = Entity.objects.visible_to(principal).filtered({"q": q, "status": status})
    return Mapped(entities, batch=with_columns)


@router.get("/links/candidates", response=list[CandidateOut], auth=allow("entities.review"),
            summary="待人工确认的关联候选")
@paginate(PageNumberPagination, page_size=20)
def candidates(request: HttpRequest, q: str = ""):
    return [candidate_out(link) for link in services.review_queue(q)]


def candidate_out(link) -> dict:
    return {"id": link.pk, "source": link.source, "record_key": link.record_key, "raw_name": link.raw_name,
            "raw_uscc": link.raw_uscc, "entity_uscc": link.entity.uscc if link.entity else None,
            "entity_name": link.entity.name if link.entity else None, "match_weight": link.match_weight,
            "match_probability": link.match_probability, "status": link.status}


@router.post("/links/{link_id}/confirm", response=CandidateOut, auth=allow("entities.review"), summary="确认关联")
def confirm(request: HttpRequest, link_id: int, body: DecisionIn):
    return candidate_out(services.decide_candidate(request.auth, link_id, True, body.note))


@router.post("/links/{link_id}/reject", response=CandidateOut, auth=allow("entities.review"), summary="否决关联")
def reject(request: HttpRequest, link_id: int, body: DecisionIn):
    return candidate_out(services.decide_candidate(request.auth, link_id, False, body.note))


@router.get("/{uscc}", response=ProfileOut, auth=allow("entities.view"), summary="一企一档")
def profile(request: HttpRequest, uscc: str):
    entity = services.get_entity(uscc)
    data = services.profile(request.auth, entity, channel="entity_api")
    return {
        "identity": {**data["identity"], "capital": float(entity.capital) if entity.capital is not None else None},
        **services.api_sections(request.auth, entity),
        "shared_records": data["records"],
        "timeline": data["timeline"],
    }
