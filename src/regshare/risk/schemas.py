from __future__ import annotations

import datetime as dt

from ninja import Schema


class ReasonOut(Schema):
    text: str
    contribution: float | None = None


class ScoreOut(Schema):
    uscc: str
    name: str
    score: float
    level: str
    level_label: str
    reasons: list[ReasonOut]
    rule_hits: list[str]
    industry: str
    area: str
    model_version: int | None = None
    computed_on: dt.date


class AlertOut(Schema):
    id: int
    number: str
    uscc: str
    name: str
    source: str
    source_label: str
    level: str
    score: float
    title: str
    reasons: list[ReasonOut]
    department: str
    status: str
    status_label: str
    raised_on: dt.date
    deadline: dt.date | None = None
    confirmed: bool | None = None


class AlertStepIn(Schema):
    verification: str = ""
    action_taken: str = ""
    feedback: str = ""
