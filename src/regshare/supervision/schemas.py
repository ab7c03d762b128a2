from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class ItemOut(Schema):
    catalog_code: str
    department: str
    main_name: str
    sub_name: str
    way: str
    measures: str
    target: str
    legal_basis: str
    process: str
    result: str
    level: str
    published: bool
    implementing_codes: list[str]


class RecordIn(Schema):
    kind: str = Field(description="licence|inspection|penalty|enforcement")
    doc_no: str = Field(max_length=80)
    catalog_code: str = Field(max_length=14, description="监管事项目录编码")
    uscc: str = Field(max_length=18, description="统一社会信用代码")
    decided_on: dt.date
    title: str = Field("", max_length=200)
    content: str = Field("", max_length=5000)
    severity: str = Field("", description="simple|general|serious(行政处罚必填)")
    amount: Decimal | None = Field(None, ge=0, le=Decimal("1e12"))


class RecordOut(Schema):
    id: int
    kind: str
    doc_no: str
    catalog_code: str
    department: str
    uscc: str
    name: str
    title: str
    decided_on: dt.date
    referred_to: list[str]


class TaskOut(Schema):
    id: int
    code: str
    name: str
    department: str
    status: str
    deadline: dt.date | None
    algorithm: str
    seed: str
    pool_sha256: str
    objects: int


class ComplaintIn(Schema):
    order_no: str = Field(max_length=40)
    content: str = Field(max_length=5000)
    received_on: dt.date | None = None
    kind: str = Field("complaint", pattern="^(complaint|report|consult)$")
    category: str = Field("", max_length=60)
    area: str = Field("", max_length=12)
    subject_name: str = Field("", max_length=200)
    uscc: str = Field("", max_length=18)
    complainant: str = Field("", max_length=50)
    phone: str = Field("", max_length=30)


class ComplaintStepIn(Schema):
    note: str = Field("", max_length=2000)
    reply: str = Field("", max_length=5000)
    substantiated: bool | None = None
    satisfaction: str = Field("", pattern="^(|satisfied|basic|unsatisfied)$")


class ComplaintOut(Schema):
    id: int
    order_no: str
    source: str
    status: str
    category: str
    department: str | None
    deadline: dt.date | None
    received_on: dt.date
    uscc: str | None
    actions: list[str]


class CaseOut(Schema):
    id: int
    title: str
    kind: str
    lead_department: str
    status: str
    opened_on: dt.date
    deadline: dt.date | None
    events: int
