"""Catalog rules: resources, fields, versions, review and publication, retirement, update duties, demands, search.

Every state change goes through a function here; it checks permission, applies the rules of 002
第八、十、十八条, and writes the change and its audit record in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError, Q
from django.urls import reverse
from django.utils import timezone

from regshare.core import audit, panels, workflow
from regshare.core import services as core_services
from regshare.core.models import Department, Role
from regshare.core.permissions import Principal, has_perm, is_data_bureau, require, sees_everything
from regshare.core.workdays import add_workdays

from . import search as search_index
from .models import (
    Category,
    Demand,
    DemandStatus,
    FieldTag,
    FieldType,
    Frequency,
    Grade,
    OpenType,
    Provision,
    Resource,
    ResourceField,
    ResourceVersion,
    ShareType,
    Status,
    StatusChange,
    UpdateObligation,
)

UPDATE_DUTY_WORKDAYS = 15  # 002 第八条
TRANSITION_DAYS = 20  # 002 第十八条, natural days

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

# ----------------------------------------------------------------------------- consumers

ConsumerSource = Callable[[Resource], Iterable[Department]]
_CONSUMER_SOURCES: list[ConsumerSource] = []


def register_consumer_source(fn: ConsumerSource) -> ConsumerSource:
    """Another app names departments that use a resource (e.g. exchange: holders of active grants)."""
    if fn not in _CONSUMER_SOURCES:
        _CONSUMER_SOURCES.append(fn)
    return fn


def consumers_of(resource: Resource) -> list[Department]:
    """The departments that use a resource: its dedicated departments plus every registered source's."""
    found: dict[int, Department] = {d.pk: d for d in resource.dedicated_departments.all()}
    for source in _CONSUMER_SOURCES:
        for department in source(resource) or ():
            found.setdefault(department.pk, department)
    found.pop(resource.provider_id, None)
    return sorted(found.values(), key=lambda d: d.code)


def _notify_consumers(resource: Resource, kind: str, title: str, body: str) -> list[Department]:
    consumers = consumers_of(resource)
    link = reverse("catalog:detail", args=[resource.code])
    for department in consumers:
        core_services.notify_department(department, kind, title, body, link)
    return consumers


RESOURCE_PAGE = "catalog.resource"


def register_detail_panel(fn: panels.Panel) -> panels.Panel:
    """Another app adds a section to the resource page (e.g. ingest: quality; exchange: a masked sample)."""
    return panels.register(RESOURCE_PAGE, fn)


def detail_panels(principal: Principal, resource: Resource) -> list[tuple[str, str]]:
    return panels.panels_for(RESOURCE_PAGE, principal, resource)


def schema_of(resource: Resource) -> list[ResourceField]:
    return list(resource.fields.order_by("position", "id"))


# ----------------------------------------------------------------------------- who may do what


def is_bureau(principal: Principal) -> bool:
    """The data bureau's people or a platform admin: review, publish, see every draft."""
    return is_data_bureau(principal, people_only=True)


def sees_all(principal: Principal) -> bool:
    return sees_everything(principal, people_only=True)


def can_edit(principal: Principal, provider: Department) -> bool:
    if not has_perm(principal, "catalog.edit"):
        return False
    if Role.PLATFORM_ADMIN in principal.roles:
        return True
    return principal.department is not None and principal.department.pk == provider.pk


def _require_edit(principal: Principal, provider: Department) -> None:
    require(principal, "catalog.edit")
    if not can_edit(principal, provider):
        raise PermissionDenied(f"只有提供部门({provider.name})的数据联络员或部门管理员可以维护该资源")


def _require_bureau(principal: Principal) -> None:
    require(principal, "catalog.review")
    if not is_bureau(principal):
        raise PermissionDenied("只有数据管理部门(区数据管理局)可以审核、发布数据资源")


def get_visible(principal: Principal, code: str) -> Resource:
    from django.http import Http404

    resource = Resource.objects.visible_to(principal).filter(code=code).first()
    if resource is None:
        raise Http404(f"数据资源 {code} 不存在或无权查看")
    return resource


# ----------------------------------------------------------------------------- validation


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


# ----------------------------------------------------------------------------- resources


def _status_change(resource: Resource, actor: Any, action: str, before: str, note: str = "") -> None:
    StatusChange.objects.create(resource=resource, from_status=before, to_status=resource.status, action=action,
                                note=note[:500], actor=(actor if isinstance(actor, str) else str(actor))[:150])


def _write_schema(resource: Resource, fields: list[dict[str, Any]]) -> None:
    """Replace the schema, keeping the rows (and their ids) of fields whose code name stays."""
    existing = {f.code_name: f for f in resource.fields.all()}
    keep = set()
    # Two passes avoid tripping the unique (resource, name) constraint when names are swapped.
    for f in existing.values():
        if f.code_name in {x["code_name"] for x in fields}:
            f.name = f"__tmp_{f.pk}"
            f.save(update_fields=["name"])
    for position, item in enumerate(fields, 1):
        field = existing.get(item["code_name"]) or ResourceField(resource=resource)
        for key in SCHEMA_KEYS:
            setattr(field, key, item[key])
        field.position = position
        field.save()
        keep.add(field.pk)
    resource.fields.exclude(pk__in=keep).delete()


def _set_relations(resource: Resource, data: dict[str, Any]) -> None:
    if "dedicated_departments" in data:
        resource.dedicated_departments.set(list(data["dedicated_departments"] or []))
    if "related" in data:
        related = [r for r in (data["related"] or []) if r.pk != resource.pk]
        resource.related.set(related)


def _fulfil_obligations(department: Department, resource: Resource) -> None:
    today = timezone.localdate()
    open_ones = UpdateObligation.objects.filter(department=department, fulfilled_at__isnull=True, changed_on__lte=today)
    for obligation in open_ones:
        obligation.fulfilled_at = timezone.now()
        obligation.fulfilled_note = f"已更新目录资源 {resource.code} {resource.name}"[:500]
        obligation.save(update_fields=["fulfilled_at", "fulfilled_note"])
        audit.record("system", "catalog.obligation.fulfil", obligation, {"resource": resource.code})


def create_resource(actor: Principal, data: dict[str, Any], fields: Iterable[dict[str, Any]] = ()) -> Resource:
    """A new draft resource of the actor's department (the platform admin may name another provider)."""
    provider = data.get("provider") or actor.department
    if provider is None:
        raise ValidationError("请指定提供部门", code="provider_required")
    _require_edit(actor, provider)
    values = _clean_values(data, None)
    schema = clean_schema(fields)
    code = (data.get("code") or "").strip()
    if code:
        if not CODE_RE.match(code):
            raise ValidationError(f"资源代码「{code}」格式不正确(字母、数字、连字符,2~40 位)", code="invalid_code")
        if Resource.objects.filter(code=code).exists():
            raise ValidationError(f"资源代码 {code} 已被使用", code="duplicate_code")
    with transaction.atomic():
        resource = Resource(provider=provider, code=code or next_code(provider), status=Status.DRAFT,
                            created_by=actor.user, **values)
        if data.get("successor") is not None:
            resource.successor = data["successor"]
        resource.save()
        _write_schema(resource, schema)
        _set_relations(resource, data)
        _status_change(resource, actor, "创建", "")
        _fulfil_obligations(provider, resource)
        audit.record(actor, "catalog.resource.create", resource, {"code": resource.code, "name": resource.name,
                                                                   "fields": len(schema)})
    return resource


def update_resource(actor: Principal, resource: Resource, data: dict[str, Any],
                    fields: Iterable[dict[str, Any]] | None = None, note: str = "") -> Resource:
    """Change attributes and (optionally) the schema. A published resource whose schema changes gets a new version."""
    _require_edit(actor, resource.provider)
    if resource.status == Status.OFFLINE:
        raise ValidationError("已下线的资源不能修改", code="offline")
    if "provider" in data and data["provider"] is not None and data["provider"].pk != resource.provider_id:
        raise ValidationError("不能修改资源的提供部门;请由新提供部门登记新资源并设置替代关系", code="provider_fixed")
    if data.get("code") and data["code"] != resource.code:
        raise ValidationError("资源代码发布后保持不变,不能修改", code="code_fixed")
    data = {k: v for k, v in data.items() if k not in ("provider", "code")}
    values = _clean_values(data, resource)
    schema = clean_schema(fields) if fields is not None else None
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        before_schema = schema_snapshot(resource)
        changed = {k: v for k, v in values.items() if getattr(resource, k) != v}
        for key, value in values.items():
            setattr(resource, key, value)
        if "successor" in data:
            successor = data["successor"]
            if successor is not None and successor.pk == resource.pk:
                raise ValidationError("资源不能以自身作为替代资源", code="invalid_successor")
            resource.successor = successor
        schema_changed = schema is not None and schema != before_schema
        new_version = resource.status == Status.PUBLISHED and schema_changed
        if new_version:
            resource.version += 1
        resource.save()
        if schema is not None:
            _write_schema(resource, schema)
        _set_relations(resource, data)
        if new_version:
            ResourceVersion.objects.create(resource=resource, version=resource.version,
                                           schema=schema_snapshot(resource), metadata=metadata_snapshot(resource),
                                           note=note or "数据项变更", created_by=actor.user)
            _notify_consumers(resource, "catalog.change", f"数据资源「{resource.name}」数据项已变更(第 {resource.version} 版)",
                              f"{resource.code} 的数据项发生变化,请核对对接程序。说明:{note or '数据项变更'}")
        _fulfil_obligations(resource.provider, resource)
        audit.record(actor, "catalog.resource.update", resource, {
            "changed": sorted(changed), "schema_changed": schema_changed, "version": resource.version, "note": note})
    return resource


def delete_resource(actor: Principal, resource: Resource) -> None:
    _require_edit(actor, resource.provider)
    if resource.status != Status.DRAFT or resource.versions.exists():
        raise ValidationError("只能删除从未发布过的草稿资源;已发布的资源请申请下线", code="not_draft")
    try:
        with transaction.atomic():
            audit.record(actor, "catalog.resource.delete", resource, {"code": resource.code})
            resource.delete()
    except ProtectedError as exc:
        raise ValidationError("该草稿已被其他业务(如共享申请)引用,不能删除", code="in_use") from exc


def submit_resource(actor: Principal, resource: Resource) -> Resource:
    """The provider's liaison sends a draft to the data bureau for review."""
    return workflow.perform(actor, resource, "submit")


def publish_resource(actor: Principal, resource: Resource, note: str = "") -> Resource:
    """The data bureau publishes a draft (submitted or not): a first version snapshot is kept."""
    return workflow.perform(actor, resource, "publish", note=note or "")


def reject_resource(actor: Principal, resource: Resource, reason: str) -> Resource:
    return workflow.perform(actor, resource, "reject", reason=reason or "")


# The writes of the publication workflow (declared in ``flows``), each inside its transaction.

def _ready_for_review(resource: Resource) -> None:
    if not resource.fields.exists():
        raise ValidationError("请至少登记一个数据项后再提交审核", code="no_fields")
    check_sharing_rules(resource.share_type, resource.open_type, resource.legal_basis)


def submitted(resource: Resource, actor: Principal, data: dict) -> dict:
    _ready_for_review(resource)
    resource.submitted_at = timezone.now()
    _status_change(resource, actor, "提交审核", resource.status)
    core_services.notify_data_bureau("catalog.review", f"待审核数据资源:{resource.name}",
                                     f"{resource.provider.name} 提交了 {resource.code},请审核发布。",
                                     reverse("catalog:detail", args=[resource.code]))
    return {"code": resource.code}


def published(resource: Resource, actor: Principal, data: dict) -> dict:
    if not resource.fields.exists():
        raise ValidationError("资源没有任何数据项,不能发布", code="no_fields")
    check_sharing_rules(resource.share_type, resource.open_type, resource.legal_basis)
    note = data.get("note") or ""
    resource.published_at = timezone.now()
    resource.submitted_at = None
    last = resource.versions.aggregate(v=Max("version"))["v"]
    if last is not None and last >= resource.version:
        resource.version = last + 1
    resource.save()
    ResourceVersion.objects.create(resource=resource, version=resource.version, schema=schema_snapshot(resource),
                                   metadata=metadata_snapshot(resource), note=note or "发布", created_by=actor.user)
    _status_change(resource, actor, "发布", Status.DRAFT, note)
    core_services.notify_department(resource.provider, "catalog.published", f"数据资源「{resource.name}」已发布",
                                    note, reverse("catalog:detail", args=[resource.code]))
    for predecessor in resource.predecessors.filter(status=Status.PUBLISHED, retire_requested_at__isnull=False):
        predecessor.retire_on = retire_date(predecessor)
        predecessor.save(update_fields=["retire_on", "updated_at"])
        _notify_consumers(predecessor, "catalog.retire",
                          f"数据资源「{predecessor.name}」将于 {predecessor.retire_on} 下线",
                          f"替代资源 {resource.code} {resource.name} 已发布,过渡期 {TRANSITION_DAYS} 个自然日,"
                          f"请在 {predecessor.retire_on} 前改用新资源。")
    return {"code": resource.code, "version": resource.version}


def rejected(resource: Resource, actor: Principal, data: dict) -> dict:
    reason = data["reason"].strip()
    resource.submitted_at = None
    _status_change(resource, actor, "退回修改", resource.status, reason)
    core_services.notify_department(resource.provider, "catalog.rejected", f"数据资源「{resource.name}」被退回",
                                    reason, reverse("catalog:detail", args=[resource.code]))
    return {"reason": reason}


def retire_date(resource: Resource) -> dt.date | None:
    """When a resource with a successor may go offline: 20 natural days after both the request and the
    successor's publication (002 第十八条); None while the successor is not published."""
    successor = resource.successor
    if successor is None or successor.status != Status.PUBLISHED or successor.published_at is None:
        return None
    start = max(timezone.localdate(resource.retire_requested_at), timezone.localdate(successor.published_at))
    return start + dt.timedelta(days=TRANSITION_DAYS)


def _take_offline(resource: Resource, actor: Any, note: str) -> None:
    before = resource.status
    resource.status = Status.OFFLINE
    resource.offline_at = timezone.now()
    resource.save(update_fields=["status", "offline_at", "updated_at"])
    _status_change(resource, actor, "下线", before, note)
    consumers = _notify_consumers(resource, "catalog.offline", f"数据资源「{resource.name}」已下线",
                                  note + (f" 替代资源:{resource.successor.code} {resource.successor.name}"
                                          if resource.successor else ""))
    audit.record(actor, "catalog.resource.offline", resource, {"code": resource.code,
                                                               "notified": [d.code for d in consumers]})


def retire_resource(actor: Principal, resource: Resource, reason: str, successor: Resource | None = None) -> Resource:
    """Take a resource offline. With a successor it stays online until the successor is published and
    the transition period has passed; every consumer is told either way."""
    _require_edit(actor, resource.provider)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写下线原因", code="reason_required")
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        if resource.status != Status.PUBLISHED:
            raise ValidationError("只有已发布的资源可以申请下线", code="not_published")
        if resource.retire_requested_at:
            raise ValidationError(f"该资源已申请下线(计划下线日期:{resource.retire_on or '待替代资源发布后确定'})",
                                  code="already_retiring")
        successor = successor or resource.successor
        if successor is not None and (successor.pk == resource.pk or successor.status == Status.OFFLINE):
            raise ValidationError("替代资源不能是本资源或已下线的资源", code="invalid_successor")
        resource.retire_requested_at = timezone.now()
        resource.retire_reason = reason[:500]
        resource.successor = successor
        if successor is None:
            resource.save()
            _take_offline(resource, actor, reason)
        else:
            resource.retire_on = retire_date(resource)
            if resource.retire_on is not None and resource.retire_on <= timezone.localdate():
                resource.retire_on = timezone.localdate() + dt.timedelta(days=TRANSITION_DAYS)
            resource.save()
            when = str(resource.retire_on) if resource.retire_on else f"替代资源发布满 {TRANSITION_DAYS} 个自然日后"
            _status_change(resource, actor, "申请下线(过渡期)", resource.status, f"{reason};计划下线:{when}")
            _notify_consumers(resource, "catalog.retire", f"数据资源「{resource.name}」将下线",
                              f"原因:{reason}。替代资源:{successor.code} {successor.name}。"
                              f"原资源保持可用,计划下线时间:{when},请及时改用新资源。")
        audit.record(actor, "catalog.resource.retire", resource, {
            "reason": reason, "successor": successor.code if successor else None,
            "retire_on": resource.retire_on})
    return resource


def complete_retirements(today: dt.date | None = None) -> list[Resource]:
    """Take offline every resource whose successor is published and whose transition period is over."""
    today = today or timezone.localdate()
    done = []
    candidates = Resource.objects.filter(status=Status.PUBLISHED, retire_requested_at__isnull=False,
                                         successor__isnull=False).select_related("successor")
    for resource in candidates:
        with transaction.atomic():
            if resource.retire_on is None:
                resource.retire_on = retire_date(resource)
                if resource.retire_on is not None:
                    resource.save(update_fields=["retire_on", "updated_at"])
            if resource.retire_on is None or resource.retire_on > today:
                continue
            _take_offline(resource, "system", f"过渡期已满 {TRANSITION_DAYS} 个自然日,按计划下线")
            done.append(resource)
    return done


# ----------------------------------------------------------------------------- update duties (002 第八条)


def record_change_of_duty(actor: Principal, department: Department, reason: str, description: str,
                          changed_on: dt.date) -> UpdateObligation:
    """A change of law or duties starts a 15-working-day clock for the department's catalog update."""
    require(actor, "catalog.obligation")
    if not is_bureau(actor) and (actor.department is None or actor.department.pk != department.pk):
        raise PermissionDenied("只能登记本部门的职能或法规变化;其他部门由数据管理部门登记")
    if reason not in UpdateObligation.Reason.values:
        raise ValidationError("变化原因须为 duty(行政管理职能变化)或 law(法律法规修订)", code="invalid_reason")
    description = (description or "").strip()
    if not description:
        raise ValidationError("请说明发生了什么变化", code="description_required")
    if changed_on > timezone.localdate():
        raise ValidationError("变化发生日期不能晚于今天", code="future_date")
    due = add_workdays(changed_on, UPDATE_DUTY_WORKDAYS)
    with transaction.atomic():
        obligation = UpdateObligation.objects.create(department=department, reason=reason, description=description,
                                                     changed_on=changed_on, due_date=due, created_by=actor.user)
        core_services.notify_department(
            department, "catalog.obligation", f"请于 {due} 前更新本部门数据资源目录",
            f"{obligation.get_reason_display()}:{description}。按规定须在 {UPDATE_DUTY_WORKDAYS} 个工作日内更新目录。",
            reverse("catalog:obligations"))
        audit.record(actor, "catalog.obligation.create", obligation, {
            "department": department.code, "reason": reason, "changed_on": changed_on, "due_date": due})
    return obligation


def fulfil_obligation(actor: Principal, obligation: UpdateObligation, note: str) -> UpdateObligation:
    """The department confirms its catalog is up to date (or needs no change), with a note."""
    require(actor, "catalog.obligation")
    if not is_bureau(actor) and (actor.department is None or actor.department.pk != obligation.department_id):
        raise PermissionDenied("只能确认本部门的目录更新")
    if obligation.fulfilled_at:
        raise ValidationError("该目录更新事项已完成", code="already_fulfilled")
    note = (note or "").strip()
    if not note:
        raise ValidationError("请说明目录更新情况(如已更新哪些资源,或经核查无需调整的理由)", code="note_required")
    with transaction.atomic():
        obligation.fulfilled_at = timezone.now()
        obligation.fulfilled_note = note[:500]
        obligation.save(update_fields=["fulfilled_at", "fulfilled_note"])
        audit.record(actor, "catalog.obligation.fulfil", obligation, {"note": note})
    return obligation


def flag_overdue_obligations(today: dt.date | None = None) -> list[UpdateObligation]:
    """Notify the department and the data bureau once about each update duty past its deadline."""
    today = today or timezone.localdate()
    flagged = []
    for obligation in UpdateObligation.objects.filter(fulfilled_at__isnull=True, overdue_flagged_at__isnull=True,
                                                      due_date__lt=today).select_related("department"):
        with transaction.atomic():
            obligation.overdue_flagged_at = timezone.now()
            obligation.save(update_fields=["overdue_flagged_at"])
            title = f"{obligation.department.name}目录更新已逾期(期限 {obligation.due_date})"
            body = f"{obligation.get_reason_display()}:{obligation.description}"
            link = reverse("catalog:obligations")
            core_services.notify_department(obligation.department, "catalog.obligation.overdue", title, body, link)
            core_services.notify_data_bureau("catalog.obligation.overdue", title, body, link)
            audit.record("system", "catalog.obligation.overdue", obligation, {"due_date": obligation.due_date})
        flagged.append(obligation)
    return flagged


# ----------------------------------------------------------------------------- demands (需求清单)

DEMAND_TEXT = ("title", "purpose", "scenario", "fields_wanted", "note")


def create_demand(actor: Principal, data: dict[str, Any]) -> Demand:
    require(actor, "catalog.demand")
    requester = data.get("requester") or actor.department
    if requester is None:
        raise ValidationError("请指定需求部门", code="requester_required")
    if not is_bureau(actor) and (actor.department is None or requester.pk != actor.department.pk):
        raise PermissionDenied("只能登记本部门的数据需求")
    values = {k: (data.get(k) or "").strip() for k in DEMAND_TEXT}
    if not values["title"]:
        raise ValidationError("请填写所需数据", code="title_required")
    frequency = data.get("frequency") or Frequency.MONTHLY
    if frequency not in Frequency.values:
        raise ValidationError(f"更新频率「{frequency}」无效", code="invalid_choice")
    with transaction.atomic():
        demand = Demand.objects.create(requester=requester, provider=data.get("provider"), frequency=frequency,
                                       created_by=actor.user, **values)
        audit.record(actor, "catalog.demand.create", demand, {"title": demand.title, "requester": requester.code})
    return demand


def suggest_resources(demand: Demand, limit: int = 5) -> list[Resource]:
    """Published resources that look like what the demand asks for (the catalog search, best first)."""
    # Half of the demand's words must match: one shared word such as 登记 is not a suggestion.
    hits = search_index.search(f"{demand.title} {demand.fields_wanted}", see_all=False,
                               filters={"status": Status.PUBLISHED}, min_match=0.5)
    ids = [int(x) for x in hits.ids[: limit * 3]]
    found = Resource.objects.select_related("provider").in_bulk(ids)
    ranked = [found[i] for i in ids if i in found]
    if demand.provider_id:
        ranked.sort(key=lambda r: r.provider_id != demand.provider_id)
    return ranked[:limit]


def _require_demand_owner(actor: Principal, demand: Demand) -> None:
    require(actor, "catalog.demand")
    if not is_bureau(actor) and (actor.department is None or actor.department.pk != demand.requester_id):
        raise PermissionDenied("只有需求部门或数据管理部门可以处理该需求")


def match_demand(actor: Principal, demand: Demand, resource: Resource, note: str = "") -> Demand:
    _require_demand_owner(actor, demand)
    if demand.status != DemandStatus.OPEN:
        raise ValidationError("该需求已处理", code="not_open")
    if resource.status != Status.PUBLISHED:
        raise ValidationError("只能匹配已发布的数据资源", code="not_published")
    with transaction.atomic():
        demand.status = DemandStatus.MATCHED
        demand.matched_resource = resource
        demand.note = (note or demand.note)[:500]
        demand.save()
        core_services.notify_department(demand.requester, "catalog.demand", f"数据需求「{demand.title}」已匹配资源",
                                        f"{resource.code} {resource.name}", reverse("catalog:detail", args=[resource.code]))
        audit.record(actor, "catalog.demand.match", demand, {"resource": resource.code})
    return demand


def close_demand(actor: Principal, demand: Demand, note: str) -> Demand:
    _require_demand_owner(actor, demand)
    if demand.status == DemandStatus.CLOSED:
        raise ValidationError("该需求已关闭", code="not_open")
    note = (note or "").strip()
    if not note:
        raise ValidationError("关闭需求须说明理由", code="note_required")
    with transaction.atomic():
        demand.status = DemandStatus.CLOSED
        demand.note = note[:500]
        demand.save()
        audit.record(actor, "catalog.demand.close", demand, {"note": note})
    return demand


# ----------------------------------------------------------------------------- search

FILTER_CHOICES = {
    "share_type": ShareType, "open_type": OpenType, "grade": Grade, "update_frequency": Frequency,
    "provision": Provision, "status": Status,
}


def clean_filters(raw: dict[str, Any]) -> dict[str, str]:
    """Validated search filters; ``provider`` may be a department id or code."""
    filters: dict[str, str] = {}
    for key, choices in FILTER_CHOICES.items():
        value = raw.get(key)
        if value in (None, ""):
            continue
        if value not in choices.values:
            raise ValidationError(f"筛选条件 {key} 的取值「{value}」无效", code="invalid_filter")
        filters[key] = value
    provider = raw.get("provider")
    if provider not in (None, ""):
        department = Department.objects.filter(Q(code=str(provider)) | Q(pk=int(provider) if str(provider).isdigit()
                                                                           else None)).first()
        if department is None:
            raise ValidationError(f"提供部门「{provider}」不存在", code="invalid_filter")
        filters["provider"] = str(department.pk)
    return filters


class ResultList(Sequence):
    """Search hits as a lazy sequence of resources (a Django Paginator slices it)."""

    def __init__(self, ids, scores) -> None:
        self.ids = ids
        self.scores = scores

    def __len__(self) -> int:
        return len(self.ids)

    def count(self) -> int:  # type: ignore[override]
        return len(self.ids)

    def __getitem__(self, item):  # type: ignore[override]
        if isinstance(item, int):
            return self[item:item + 1][0]
        ids = [int(x) for x in self.ids[item]]
        scores = [float(x) for x in self.scores[item]]
        found = Resource.objects.select_related("provider").in_bulk(ids)
        out = []
        for rid, score in zip(ids, scores, strict=True):
            if rid in found:
                found[rid].score = round(score, 3)
                out.append(found[rid])
        return out


def search_resources(principal: Principal, query: str = "", filters: dict[str, Any] | None = None):
    """Resources the principal may see, matching the query (relevance first) or, without one, by code."""
    cleaned = clean_filters(filters or {})
    query = (query or "").strip()[:200]
    if query:
        department = principal.department
        hits = search_index.search(query, filters=cleaned, see_all=sees_all(principal),
                                   visible_department_id=department.pk if department else None)
        return ResultList(hits.ids, hits.scores)
    resources = Resource.objects.visible_to(principal)
    for key, value in cleaned.items():
        resources = resources.filter(**{"provider_id" if key == "provider" else key: value})
    return resources.order_by("code")
