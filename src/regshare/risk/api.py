"""Risk API (thin): scores and alerts (lists), an alert's actions and their steps."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from regshare.core import audit, workflow
from regshare.core.auth import allow
from regshare.core.pagination import Mapped, PageNumberPagination, paginate

from . import services
from .models import Alert, RiskScore
from .schemas import AlertOut, AlertStepIn, ScoreOut

router = Router(tags=["risk"])


def score_out(s: RiskScore) -> dict:
    return {"uscc": s.entity.uscc, "name": s.entity.name, "score": s.score, "level": s.level,
            "level_label": s.get_level_display(), "reasons": s.reasons, "rule_hits": s.rule_hits,
            "industry": s.industry, "area": s.area,
            "model_version": s.model_version.version if s.model_version else None, "computed_on": s.computed_on}


def alert_out(a: Alert) -> dict:
    return {"id": a.pk, "number": a.number, "uscc": a.entity.uscc, "name": a.entity.name, "source": a.source,
            "source_label": a.get_source_display(), "level": a.level, "score": a.score, "title": a.title,
            "reasons": a.reasons, "department": a.department.name, "status": a.status,
            "status_label": a.get_status_display(), "raised_on": a.raised_on, "deadline": a.deadline,
            "confirmed": a.confirmed}


@router.get("/scores", response=list[ScoreOut], auth=allow("risk.view"), summary="风险评分列表")
@paginate(PageNumberPagination, page_size=20)
def scores(request: HttpRequest, q: str = "", level: str = ""):
    audit.record(request.auth, "risk.scores_viewed", "risk:scores", {"q": q, "level": level})
    return Mapped(RiskScore.objects.visible_to(request.auth).filtered({"q": q, "level": level}), score_out)


@router.get("/alerts", response=list[AlertOut], auth=allow("risk.view"), summary="风险预警列表")
@paginate(PageNumberPagination, page_size=20)
def alerts(request: HttpRequest, q: str = "", status: str = "", source: str = "", level: str = ""):
    audit.record(request.auth, "risk.alerts_viewed", "risk:alerts", {"q": q, "status": status})
    items = Alert.objects.visible_to(request.auth).filtered(
        {"q": q, "status": status, "source": source, "level": level})
    return Mapped(items, alert_out)


@router.get("/alerts/{alert_id}", response=AlertOut, auth=allow("risk.view"), summary="风险预警详情")
def alert(request: HttpRequest, alert_id: int):
    found = get_object_or_404(Alert.objects.visible_to(request.auth), pk=alert_id)
    audit.record(request.auth, "risk.alert_viewed", found, {})
    return alert_out(found)


@router.get("/alerts/{alert_id}/actions", auth=allow("risk.view"), summary="当前用户可执行的预警处置操作")
def alert_actions(request: HttpRequest, alert_id: int):
    found = get_object_or_404(Alert.objects.visible_to(request.auth), pk=alert_id)
    return workflow.actions(request.auth, found)


@router.post("/alerts/{alert_id}/{action}", response=AlertOut, auth=allow("risk.handle"),
             summary="预警处置:verify 核实属实 / dismiss 核实排除 / act 登记处置 / close 办结反馈")
def alert_step(request: HttpRequest, alert_id: int, action: str, payload: AlertStepIn):
    found = get_object_or_404(Alert.objects.visible_to(request.auth), pk=alert_id)
    return alert_out(services.perform(request.auth, found, action, **payload.dict()))
