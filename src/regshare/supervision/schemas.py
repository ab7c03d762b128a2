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


class ActionOut(Schema):
    name: str
    label: str
    style: str = ""
    confirm: str = ""
    required: list[str] = []


class AssistanceIn(Schema):
    target: str = Field(max_length=40, description="协办部门编码")
    subject: str = Field(max_length=200)
    content: str = Field(max_length=5000)
    uscc: str = Field("", max_length=30, description="涉及的市场主体(可选)")
    case_id: int | None = Field(None, description="关联案件(可选)")


class AssistanceOut(Schema):
    id: int
    subject: str
    requester: str
    target: str
    status: str
    deadline: dt.date | None
    uscc: str | None
    case_id: int | None
    content: str
    reply: str
    actions: list[ActionOut]


class AssistanceStepIn(Schema):
    reply: str = Field("", max_length=5000, description="反馈(reply 时必填)")


class CaseIn(Schema):
    title: str = Field(max_length=200)
    summary: str = Field(max_length=5000)
    kind: str = Field("case", pattern="^(case|event)$")
    uscc: str = Field("", max_length=30)
    departments: list[str] = Field([], max_length=50, description="参与部门编码")


class CaseEventIn(Schema):
    action: str = Field(max_length=60)
    note: str = Field("", max_length=5000)


class CaseStepIn(Schema):
    note: str = Field("", max_length=5000)


class CaseEventOut(Schema):
    at: dt.datetime
    department: str | None
    actor: str
    action: str
    note: str


class CaseDetailOut(Schema):
    id: int
    title: str
    kind: str
    lead_department: str
    departments: list[str]
    status: str
    opened_on: dt.date
    deadline: dt.date | None
    closed_on: dt.date | None
    summary: str
    uscc: str | None
    timeline: list[CaseEventOut]
    assistance: list[int]
    actions: list[ActionOut]


class ConflictIn(Schema):
    inspector_id: int
    uscc: str = Field(max_length=30)
    reason: str = Field(max_length=200)


class ConflictOut(Schema):
    id: int
    inspector_id: int
    inspector: str
    department: str
    uscc: str
    name: str
    reason: str
    declared_by: str
    declared_on: dt.date | None


class TaskIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    joint_departments: list[str] = Field([], max_length=50, description="联合部门编码")
    item_codes: list[str] = Field([], max_length=100, description="随机抽查事项的监管事项目录编码")
    industry: str = Field("", pattern=r"^[A-Z]?\d{0,4}$")
    area: str = Field("", pattern=r"^(\d{2,6})?$")
    ratios: dict[str, str] | None = Field(None, description="各信用风险分类抽查比例(缺省用系统设置)")
    inspectors_per_object: int | None = Field(None, ge=2, le=5)
    control_ratio: str | None = Field(None, max_length=12, description="随机对照组比例(缺省用系统设置,0 为不设)")
