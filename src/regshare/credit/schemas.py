from __future__ import annotations

import datetime as dt

from ninja import Schema


class SourceEntry(Schema):
    list: str
    decision_no: str = ""
    listed_on: dt.date | None = None
    cause: str = ""
    department: str = ""


class MeasureOut(Schema):
    kind: str
    kind_label: str
    memorandum: str
    document_no: str = ""
    department: str
    measure: str
    legal_basis: str
    sources: list[SourceEntry]


class CheckEntity(Schema):
    uscc: str
    name: str
    status: str


class CheckOut(Schema):
    check_id: int
    entity: CheckEntity
    scenario: str
    scenario_label: str
    conclusion: str
    risk_class: str | None = None
    measures: list[MeasureOut]
    lists: list[SourceEntry]
    checked_at: dt.datetime


class StatsOut(Schema):
    total: int
    restricted: int
    restricted_rate: float | None = None
    by_scenario: dict[str, int]
    by_conclusion: dict[str, int]
    by_department: dict[str, int]
    by_month: dict[str, int]


class ListEntryOut(Schema):
    id: int
    list_type: str
    uscc: str
    name: str
    cause: str
    cause_text: str = ""
    decision_no: str
    listed_on: dt.date
    removed_on: dt.date | None = None
    removal_reason: str = ""


class RecordOut(Schema):
    id: int
    kind: str
    doc_no: str
    uscc: str | None = None
    raw_name: str
    department: str
    title: str
    decided_on: dt.date
    severity: str = ""
    outcome: str = ""
    publicity: str
    publish_due: dt.date | None = None
    published_on: dt.date | None = None
    publicity_until: dt.date | None = None
    repair_from: dt.date | None = None
    late: bool = False


class MemorandumOut(Schema):
    code: str
    title: str
    issuer: str
    document_no: str
    list_type: str
    kind: str
    measures: list[dict]


class RepairIn(Schema):
    record_id: int
    applicant: str
    reason: str
    commitment: bool = False


class ListEntryIn(Schema):
    uscc: str
    list_type: str
    cause: str
    decision_no: str
    listed_on: dt.date
    cause_text: str = ""


class ListRemovalIn(Schema):
    removed_on: dt.date
    reason: str


class RepairDecisionIn(Schema):
    approve: bool
    note: str = ""


class RepairOut(Schema):
    id: int
    record_id: int
    doc_no: str
    applicant: str
    status: str
    submitted_on: dt.date
    due_on: dt.date
    decided_on: dt.date | None = None
    decision_note: str = ""
