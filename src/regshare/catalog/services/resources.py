"""Resources: creation, edits, review for publication (002 第十一条) and retirement (002 第十八条)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.urls import reverse
from django.utils import timezone

from regshare.core import audit, workflow
from regshare.core import services as core_services
from regshare.core.models import Department
from regshare.core.permissions import Principal

from ..models import Resource, ResourceField, ResourceVersion, Status, StatusChange, UpdateObligation
from .access import _require_edit
from .consumers import _notify_consumers
from .validation import (
    CODE_RE,
    SCHEMA_KEYS,
    _clean_values,
    check_sharing_rules,
    clean_schema,
    metadata_snapshot,
    next_code,
    schema_snapshot,
)

TRANSITION_DAYS = 20  # 002 第十八条, natural days


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


def _acting(actor: Principal, data: dict) -> Any:
    """Who the status history names: the person, or the scheduler's name for an automatic step."""
    return actor if actor.is_authenticated else data.get("actor", "system")


def _offline_notice(resource: Resource, note: str) -> list[str]:
    successor = resource.successor
    consumers = _notify_consumers(resource, "catalog.offline", f"数据资源「{resource.name}」已下线",
                                  note + (f" 替代资源:{successor.code} {successor.name}" if successor else ""))
    return [d.code for d in consumers]


def retired(resource: Resource, actor: Principal, data: dict) -> dict:
    """``retire`` (no successor): offline at once, every consumer told."""
    reason = data["reason"].strip()
    resource.retire_requested_at = resource.offline_at = timezone.now()
    resource.retire_reason = reason[:500]
    _status_change(resource, actor, "下线", Status.PUBLISHED, reason)
    return {"reason": reason, "successor": None, "notified": _offline_notice(resource, reason)}


def _successor(value: Any) -> Resource:
    if isinstance(value, Resource):
        return value
    successor = Resource.objects.filter(code=str(value).strip()).first()
    if successor is None:
        raise ValidationError(f"替代资源 {value} 不存在", code="invalid_successor")
    return successor


def retirement_announced(resource: Resource, actor: Principal, data: dict) -> dict:
    """``announce_retirement``: online until the successor is published and the transition period has passed."""
    reason = data["reason"].strip()
    successor = _successor(data["successor"])
    if successor.pk == resource.pk or successor.status == Status.OFFLINE:
        raise ValidationError("替代资源不能是本资源或已下线的资源", code="invalid_successor")
    resource.retire_requested_at = timezone.now()
    resource.retire_reason = reason[:500]
    resource.successor = successor
    resource.retire_on = retire_date(resource)
    if resource.retire_on is not None and resource.retire_on <= timezone.localdate():
        resource.retire_on = timezone.localdate() + dt.timedelta(days=TRANSITION_DAYS)
    when = str(resource.retire_on) if resource.retire_on else f"替代资源发布满 {TRANSITION_DAYS} 个自然日后"
    _status_change(resource, actor, "申请下线(过渡期)", resource.status, f"{reason};计划下线:{when}")
    _notify_consumers(resource, "catalog.retire", f"数据资源「{resource.name}」将下线",
                      f"原因:{reason}。替代资源:{successor.code} {successor.name}。"
                      f"原资源保持可用,计划下线时间:{when},请及时改用新资源。")
    return {"reason": reason, "successor": successor.code,
            "retire_on": str(resource.retire_on) if resource.retire_on else None}


def retirement_completed(resource: Resource, actor: Principal, data: dict) -> dict:
    """``complete_retirement`` (the scheduler): the transition period is over, the resource goes offline."""
    note = f"过渡期已满 {TRANSITION_DAYS} 个自然日,按计划下线"
    resource.offline_at = timezone.now()
    _status_change(resource, _acting(actor, data), "下线", Status.PUBLISHED, note)
    return {"code": resource.code, "notified": _offline_notice(resource, note)}


def retire_resource(actor: Principal, resource: Resource, reason: str, successor: Resource | None = None) -> Resource:
    """Take a resource offline. With a successor it stays online until the successor is published and
    the transition period has passed; every consumer is told either way."""
    successor = successor or resource.successor
    reason = (reason or "").strip()
    if successor is None:
        return workflow.perform(actor, resource, "retire", reason=reason)
    return workflow.perform(actor, resource, "announce_retirement", reason=reason, successor=successor)


def complete_retirements(today: dt.date | None = None) -> list[Resource]:
    """Take offline every resource whose successor is published and whose transition period is over."""
    today = today or timezone.localdate()
    done = []
    candidates = Resource.objects.filter(status=Status.PUBLISHED, retire_requested_at__isnull=False,
                                         successor__isnull=False).select_related("successor")
    for resource in candidates:
        if resource.retire_on is None:
            resource.retire_on = retire_date(resource)
            if resource.retire_on is not None:
                resource.save(update_fields=["retire_on", "updated_at"])
        if resource.retire_on is None or resource.retire_on > today:
            continue
        done.append(workflow.perform_scheduled(resource, "complete_retirement", on=today))
    return done
