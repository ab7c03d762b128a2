"""Checks on a resource's values and schema, snapshots and resource codes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from regshare.core.models import Department

from ..models import Category, FieldTag, FieldType, Frequency, Grade, OpenType, Provision, Resource, ShareType
from .consumers import schema_of

CHOICE_FIELDS = {
    "category": Category,
    "update_frequency": Frequency,
    "share_type": ShareType,
    "open_type": OpenType,
    "provision": Provision,
    "grade": Grade,
}
TEXT_FIELDS = ("name", "summary", "source_system", "data_format", "share_conditions", "legal_basis",
               "open_conditions", "catalog_class", "catalog_item", "catalog_subitem")
SCHEMA_KEYS = ("name", "code_name", "data_type", "required", "is_key", "enumeration", "tag", "grade", "description")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")
FIELD_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def check_sharing_rules(share_type: str, open_type: str, legal_basis: str) -> None:
    """002 第十条 and SPEC §2: 有条件共享/不予共享 ⇒ 不可开放; 不予共享 needs a legal basis."""
    if share_type in (ShareType.CONDITIONAL, ShareType.NONE) and open_type == OpenType.OPEN:
        label = ShareType(share_type).label
        raise ValidationError(f"{label}的数据资源不可向社会开放,请将开放属性设为「不可开放」", code="open_not_allowed")
    if share_type == ShareType.NONE and not (legal_basis or "").strip():
        raise ValidationError("不予共享的数据资源须写明不予共享的法律、法规或政策依据", code="legal_basis_required")


def _clean_values(data: dict[str, Any], current: Resource | None) -> dict[str, Any]:
    unknown = set(data) - set(TEXT_FIELDS) - set(CHOICE_FIELDS) - {
        "provider", "code", "max_invalid_fraction", "dedicated_departments", "related", "successor"}
    if unknown:
        raise ValidationError(f"未知的资源属性: {', '.join(sorted(unknown))}", code="unknown_attribute")
    values: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        if key in data:
            values[key] = (data[key] or "").strip()
    for key, choices in CHOICE_FIELDS.items():
        if key in data:
            value = data[key]
            if value not in choices.values:
                allowed = "、".join(f"{v}({label})" for v, label in choices.choices)
                raise ValidationError(f"{Resource._meta.get_field(key).verbose_name}取值「{value}」无效,可选: {allowed}",
                                      code="invalid_choice")
            values[key] = value
    if "max_invalid_fraction" in data:
        try:
            fraction = float(data["max_invalid_fraction"])
        except (TypeError, ValueError):
            fraction = -1.0
        if not 0 <= fraction <= 1:
            raise ValidationError("可容忍无效行比例须在 0 到 1 之间", code="invalid_fraction")
        values["max_invalid_fraction"] = fraction
    name = values.get("name", current.name if current else "")
    if not name:
        raise ValidationError("请填写资源名称", code="name_required")
    if len(name) > 200:
        raise ValidationError("资源名称不能超过 200 个字符", code="name_too_long")
    merged = {k: values.get(k, getattr(current, k) if current else Resource._meta.get_field(k).get_default())
              for k in ("share_type", "open_type", "legal_basis")}
    check_sharing_rules(merged["share_type"], merged["open_type"], merged["legal_basis"])
    return values


def clean_schema(fields: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate and normalise a list of field dicts; raises one ValidationError listing every problem."""
    cleaned, problems = [], []
    names: set[str] = set()
    codes: set[str] = set()
    for i, raw in enumerate(fields, 1):
        name = (raw.get("name") or "").strip()
        code_name = (raw.get("code_name") or "").strip()
        item = {
            "name": name, "code_name": code_name,
            "data_type": raw.get("data_type") or FieldType.STRING,
            "required": bool(raw.get("required")), "is_key": bool(raw.get("is_key")),
            "enumeration": list(raw.get("enumeration") or []),
            "tag": raw.get("tag") or FieldTag.NONE,
            "grade": raw.get("grade") or Grade.GENERAL,
            "description": (raw.get("description") or "").strip()[:300],
        }
        where = f"第 {i} 个数据项"
        if not name:
            problems.append(f"{where}缺少中文名称")
        elif name in names:
            problems.append(f"{where}「{name}」与前面的数据项重名")
        if not FIELD_CODE_RE.match(code_name):
            problems.append(f"{where}的字段代码「{code_name}」须以小写字母开头,只含小写字母、数字和下划线")
        elif code_name in codes:
            problems.append(f"{where}的字段代码「{code_name}」重复")
        if item["data_type"] not in FieldType.values:
            problems.append(f"{where}的类型「{item['data_type']}」无效")
        if item["tag"] not in FieldTag.values:
            problems.append(f"{where}的敏感标签「{item['tag']}」无效")
        if item["grade"] not in Grade.values:
            problems.append(f"{where}的分级「{item['grade']}」无效")
        if item["data_type"] == FieldType.ENUM and not item["enumeration"]:
            problems.append(f"{where}「{name}」是枚举类型,须列出枚举值")
        item["enumeration"] = [str(v).strip() for v in item["enumeration"] if str(v).strip()]
        names.add(name)
        codes.add(code_name)
        cleaned.append(item)
    if problems:
        raise ValidationError(";".join(problems), code="invalid_schema")
    return cleaned


def schema_snapshot(resource: Resource) -> list[dict[str, Any]]:
    return [{key: getattr(f, key) for key in SCHEMA_KEYS} for f in schema_of(resource)]


def metadata_snapshot(resource: Resource) -> dict[str, Any]:
    keys = ("code", "name", "summary", "source_system", "category", "data_format", "update_frequency", "share_type",
            "share_conditions", "legal_basis", "open_type", "open_conditions", "provision", "grade")
    data = {k: getattr(resource, k) for k in keys}
    data["provider"] = resource.provider.code
    return data


def department_prefix(department: Department) -> str:
    """The short code used in resource codes: the suffix of ``360404-SCJG`` or the whole code."""
    code = department.code.rsplit("-", 1)[-1]
    return re.sub(r"[^A-Za-z0-9]", "", code).upper() or f"D{department.pk}"


def next_code(department: Department) -> str:
    prefix = department_prefix(department)
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    highest = 0
    for code in Resource.objects.filter(code__startswith=f"{prefix}-").values_list("code", flat=True):
        match = pattern.match(code)
        if match:
            highest = max(highest, int(match.group(1)))
    return f"{prefix}-{highest + 1:04d}"
