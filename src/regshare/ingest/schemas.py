from __future__ import annotations

import datetime as dt

from ninja import Schema


class LoadOut(Schema):
    id: int
    resource: str
    source_kind: str
    file_name: str
    file_format: str
    encoding: str
    mode: str
    status: str
    stage: str
    progress: float
    rows_in: int
    rows_loaded: int
    rows_rejected: int
    duplicates: int
    version: int | None
    message: str
    errors: list[dict]
    created_at: dt.datetime
    finished_at: dt.datetime | None
    quality: dict | None = None

    @staticmethod
    def resolve_resource(obj) -> str:
        return obj.resource.code

    @staticmethod
    def resolve_quality(obj) -> dict | None:
        report = getattr(obj, "quality", None)
        if report is None:
            return None
        return {"completeness": report.completeness, "validity": report.validity, "uniqueness": report.uniqueness,
                "timeliness": report.timeliness}


class QualityPointOut(Schema):
    date: str
    load: int
    completeness: float
    validity: float
    uniqueness: float
    timeliness: float
    score: float
    status: str


class QualityOut(Schema):
    resource: str
    current: dict
    series: list[QualityPointOut]


class ZeroReportIn(Schema):
    period: str
    note: str = ""


class MonthlyReportOut(Schema):
    resource: str
    period: dt.date
    kind: str
    due_date: dt.date
    submitted_at: dt.datetime


class DutyRowOut(Schema):
    resource: str
    resource_name: str
    department: str
    period: dt.date
    due: dt.date
    status: str
    label: str
    submitted_at: dt.datetime | None


class SourceIn(Schema):
    kind: str
    url: str
    table: str = ""
    query: str = ""
    db_schema: str = ""
    watermark_column: str = ""
    page_param: str = "page"
    size_param: str = "page_size"
    page_size: int = 500
    records_key: str = ""
    since_param: str = ""
    headers: dict = {}
    enabled: bool = True


class SourceOut(Schema):
    resource: str
    kind: str
    url: str
    table: str
    db_schema: str
    watermark_column: str
    watermark_value: str
    enabled: bool
    last_pulled_at: dt.datetime | None
