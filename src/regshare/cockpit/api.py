"""The cockpit's figures as JSON (a wall display, another system): the same numbers as the page."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from regshare.core import dashboard
from regshare.core.auth import allow

router = Router(tags=["cockpit"])


class StatOut(Schema):
    label: str
    value: int | float | str
    unit: str


class FigureOut(Schema):
    key: str
    title: str
    kind: str
    unit: str
    categories: list[str]
    series: list[dict]


class BoardOut(Schema):
    stats: list[StatOut]
    figures: list[FigureOut]


@router.get("/figures", response=BoardOut, summary="全区数据驾驶舱的指标和图表数据", auth=allow("cockpit.view"))
def figures(request: HttpRequest):
    board = dashboard.figures_for("cockpit", request.auth)
    return {"stats": [{"label": s.label, "value": s.value, "unit": s.unit} for s in board.stats],
            "figures": [{"key": f.key, "title": f.title, **f.spec()} for f in board.figures]}
