from __future__ import annotations

import datetime as dt

from ninja import Schema


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    level: str
    division_code: str
    parent_id: int | None
    is_data_bureau: bool


class MeOut(Schema):
    kind: str
    name: str
    department: DepartmentOut | None
    roles: list[str]
    scopes: list[str]


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: dt.datetime
    is_read: bool


class MarkReadIn(Schema):
    ids: list[int] | None = None


class CountOut(Schema):
    count: int


class WorkdayOut(Schema):
    date: dt.date
    is_workday: bool


class AddWorkdaysOut(Schema):
    start: dt.date
    days: int
    result: dt.date


class TokenIn(Schema):
    name: str
    department_id: int | None = None
    scopes: list[str]
    days_valid: int = 365


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    department_id: int
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenIssuedOut(TokenOut):
    secret: str


class AuditRecordOut(Schema):
    seq: int
    created_at: dt.datetime
    actor: str
    action: str
    target: str
    detail: str
    hash: str


class AuditVerifyOut(Schema):
    ok: bool
    count: int
    broken_seq: int | None
    reason: str
