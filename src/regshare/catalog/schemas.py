"""API shapes of the catalog."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class FieldIO(Schema):
    name: str
    code_name: str
    data_type: str = "string"
    required: bool = False
    is_key: bool = False
    enumeration: list[str] = []
    tag: str = ""
    grade: str = "general"
    description: str = ""


class ResourceBrief(Schema):
    code: str
    identifier: str
    name: str
    summary: str
    provider: str
    provider_name: str
    share_type: str
    open_type: str
    grade: str
    update_frequency: str
    provision: str
    status: str
    version: int
    published_at: dt.datetime | None
    score: float | None = None

    @staticmethod
    def resolve_provider(obj) -> str:
        return obj.provider.code

    @staticmethod
    def resolve_provider_name(obj) -> str:
        return obj.provider.name

    @staticmethod
    def resolve_score(obj) -> float | None:
        return getattr(obj, "score", None)


class ResourceOut(ResourceBrief):
    source_system: str
    category: str
    data_format: str
    share_conditions: str
    legal_basis: str
    open_conditions: str
    catalog_class: str
    catalog_item: str
    catalog_subitem: str
    max_invalid_fraction: float
    dedicated_departments: list[str]
    related: list[str]
    successor: str | None
    retire_on: dt.date | None
    offline_at: dt.datetime | None
    submitted_at: dt.datetime | None
    fields: list[FieldIO]
    consumers: list[str]

    @staticmethod
    def resolve_dedicated_departments(obj) -> list[str]:
        return [d.code for d in obj.dedicated_departments.all()]

    @staticmethod
    def resolve_related(obj) -> list[str]:
        return [r.code for r in obj.related.all()]

    @staticmethod
    def resolve_successor(obj) -> str | None:
        return obj.successor.code if obj.successor_id else None

    @staticmethod
    def resolve_fields(obj) -> list:
        from .services import schema_of

        return schema_of(obj)

    @staticmethod
    def resolve_consumers(obj) -> list[str]:
        from .services import consumers_of

        return [d.code for d in consumers_of(obj)]


class ResourceIn(Schema):
    """Attributes to set; omitted ones stay as they are. Departments and resources by code."""

    code: str | None = None
    name: str | None = None
    summary: str | None = None
    provider: str | None = None
    source_system: str | None = None
    category: str | None = None
    data_format: str | None = None
    update_frequency: str | None = None
    share_type: str | None = None
    share_conditions: str | None = None
    legal_basis: str | None = None
    open_type: str | None = None
    open_conditions: str | None = None
    provision: str | None = None
    grade: str | None = None
    catalog_class: str | None = None
    catalog_item: str | None = None
    catalog_subitem: str | None = None
    max_invalid_fraction: float | None = None
    dedicated_departments: list[str] | None = None
    related: list[str] | None = None
    successor: str | None = None
    fields: list[FieldIO] | None = None
    note: str = ""


class ReasonIn(Schema):
    reason: str = ""


class RetireIn(Schema):
    reason: str
    successor: str | None = None


class VersionOut(Schema):
    version: int
    fields: list[dict] = []
    metadata: dict = {}
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_fields(obj) -> list[dict]:
        return obj.schema


class DemandIn(Schema):
    title: str
    requester: str | None = None
    provider: str | None = None
    purpose: str = ""
    scenario: str = ""
    fields_wanted: str = ""
    frequency: str = "monthly"
    note: str = ""


class DemandOut(Schema):
    id: int
    title: str
    requester: str
    provider: str | None
    purpose: str
    scenario: str
    fields_wanted: str
    frequency: str
    status: str
    matched_resource: str | None
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_requester(obj) -> str:
        return obj.requester.code

    @staticmethod
    def resolve_provider(obj) -> str | None:
        return obj.provider.code if obj.provider_id else None

    @staticmethod
    def resolve_matched_resource(obj) -> str | None:
        return obj.matched_resource.code if obj.matched_resource_id else None


class DemandDetailOut(DemandOut):
    suggestions: list[ResourceBrief]

    @staticmethod
    def resolve_suggestions(obj) -> list:
        from .services import suggest_resources

        return suggest_resources(obj)


class MatchIn(Schema):
    resource: str
    note: str = ""


class ObligationIn(Schema):
    department: str | None = None
    reason: str
    description: str
    changed_on: dt.date


class ObligationOut(Schema):
    id: int
    department: str
    reason: str
    description: str
    changed_on: dt.date
    due_date: dt.date
    fulfilled_at: dt.datetime | None
    fulfilled_note: str
    overdue: bool

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.code

    @staticmethod
    def resolve_overdue(obj) -> bool:
        from django.utils import timezone

        return obj.fulfilled_at is None and obj.due_date < timezone.localdate()


class NoteIn(Schema):
    note: str = ""


class ImportRowError(Schema):
    row: int
    message: str


class ImportOut(Schema):
    ok: bool
    rows: int
    created: list[str]
    updated: list[str]
    errors: list[ImportRowError]
