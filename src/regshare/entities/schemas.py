from __future__ import annotations

import datetime as dt

from ninja import Schema


class EntityOut(Schema):
    uscc: str
    name: str
    status: str
    established: dt.date | None = None
    industry: str = ""
    # what higher apps add to the list (credit: ``risk_class``), by column key
    columns: dict[str, str | int | float | None] = {}


class IdentityOut(Schema):
    uscc: str
    name: str
    legal_rep: str = ""
    legal_rep_id: str = ""
    phone: str = ""
    address: str = ""
    established: dt.date | None = None
    capital: float | None = None
    industry: str = ""
    status: str = ""


class TimelineEvent(Schema):
    date: dt.date
    kind: str
    kind_label: str
    title: str
    department: str
    detail: str = ""


class RecordGroup(Schema):
    department: str
    resource_code: str
    resource_name: str
    total: int
    granted: bool
    columns: list[str]
    rows: list[list[str]]


class CreditRecordOut(Schema):
    kind: str
    doc_no: str
    department: str
    title: str
    decided_on: dt.date
    severity: str = ""
    outcome: str = ""
    publicity: str
    link_method: str = ""


class ListEntryOut(Schema):
    list_type: str
    list_label: str
    cause: str
    cause_label: str
    decision_no: str
    department: str
    listed_on: dt.date
    removed_on: dt.date | None = None
    removal_reason: str = ""


class RiskOut(Schema):
    risk_class: str
    score: int
    probability: float
    reasons: list[str]
    computed_on: dt.date


class ProfileOut(Schema):
    identity: IdentityOut
    # the sections credit adds (panels.register_data("entities.entity.api", …)); empty without it
    risk: RiskOut | None = None
    lists: list[ListEntryOut] = []
    credit_records: list[CreditRecordOut] = []
    # the section supervision adds: records, inspections and complaints the caller may see
    supervision: dict | None = None
    shared_records: list[RecordGroup]
    timeline: list[TimelineEvent]


class CandidateOut(Schema):
    id: int
    source: str
    record_key: str
    raw_name: str
    raw_uscc: str
    entity_uscc: str | None = None
    entity_name: str | None = None
    match_weight: float | None = None
    match_probability: float | None = None
    status: str


class DecisionIn(Schema):
    note: str = ""
