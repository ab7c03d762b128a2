"""The demo catalog. ``SCJG-0001`` 市场主体登记信息 has a fixed schema that later parts load data into."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from regshare.catalog.models import (
    Category,
    FieldTag,
    FieldType,
    Frequency,
    Grade,
    OpenType,
    Provision,
    Resource,
    ResourceField,
    ShareType,
    Status,
)

from . import DemoContext

# name, code_name, type, required, key, tag, enumeration
SCJG_0001_FIELDS = [
    ("统一社会信用代码", "uscc", FieldType.STRING, True, True, FieldTag.USCC, []),
    ("企业名称", "name", FieldType.STRING, True, False, FieldTag.COMPANY_NAME, []),
    ("法定代表人", "legal_rep", FieldType.STRING, False, False, FieldTag.PERSON_NAME, []),
    ("身份证号", "legal_rep_id", FieldType.STRING, False, False, FieldTag.ID_CARD, []),
    ("联系电话", "phone", FieldType.STRING, False, False, FieldTag.MOBILE, []),
    ("住所", "address", FieldType.STRING, False, False, FieldTag.ADDRESS, []),
    ("成立日期", "established", FieldType.DATE, False, False, FieldTag.NONE, []),
    ("注册资本(万元)", "capital", FieldType.DECIMAL, False, False, FieldTag.NONE, []),
    ("行业代码", "industry", FieldType.STRING, False, False, FieldTag.NONE, []),
    ("登记状态", "status", FieldType.ENUM, False, False, FieldTag.NONE, ["存续", "在业", "吊销", "注销"]),
]


def ensure_market_entity_registry(departments: dict) -> Resource:
    resource, _ = Resource.objects.update_or_create(
        code="SCJG-0001",
        defaults={
            "name": "市场主体登记信息",
            "summary": "本区登记注册的企业、个体工商户、农民专业合作社等市场主体的登记信息,含统一社会信用代码、"
                       "名称、法定代表人、住所、成立日期、注册资本、行业和登记状态。",
            "provider": departments["SCJG"],
            "source_system": "市场主体登记注册系统",
            "category": Category.BASIC,
            "data_format": "数据库表",
            "update_frequency": Frequency.DAILY,
            "share_type": ShareType.CONDITIONAL,
            "share_conditions": "用于市场监管、行政审批、信用监管等履职需要,身份证号和联系电话默认脱敏。",
            "open_type": OpenType.CLOSED,
            "provision": Provision.FILE,
            "grade": Grade.IMPORTANT,
            "status": Status.PUBLISHED,
        },
    )
    if resource.published_at is None:
        resource.published_at = timezone.now()
        resource.save(update_fields=["published_at"])
    keep = []
    for position, (name, code_name, data_type, required, key, tag, enumeration) in enumerate(SCJG_0001_FIELDS, 1):
        field, _ = ResourceField.objects.update_or_create(
            resource=resource, code_name=code_name,
            defaults={"name": name, "position": position, "data_type": data_type, "required": required,
                      "is_key": key, "tag": tag, "enumeration": enumeration,
                      "grade": Grade.IMPORTANT if tag in (FieldTag.ID_CARD, FieldTag.MOBILE) else Grade.GENERAL},
        )
        keep.append(field.pk)
    resource.fields.exclude(pk__in=keep).delete()
    return resource


@transaction.atomic
def run(ctx: DemoContext) -> None:
    ctx.data["SCJG-0001"] = ensure_market_entity_registry(ctx.data["departments"])
