"""纠错 (002 第十六条): a consumer flags a value; the provider checks and answers within 5 working
days; an accepted correction becomes a new lake version (merge on the key) that reaches subscribers
through the lake hook. Service continues meanwhile; every step is kept."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from regshare.catalog.models import Resource
from regshare.core import audit, workflow
from regshare.core import services as core
from regshare.core.clock import today
from regshare.core.lazy import lazy_module
from regshare.core.permissions import Principal, require
from regshare.lake import tables as lake

from .models import Correction

pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")


def _find_row(resource: Resource, key: dict) -> tuple[pa.Table, int]:
    version = lake.current_version(resource.code)
    if version is None:
        raise ValidationError(f"资源 {resource.code} 尚无数据", code="no_data")
    table = lake.read(resource.code, version=version)
    mask = None
    for name, value in key.items():
        if name not in table.column_names:
            raise ValidationError(f"主键数据项 {name} 不存在", code="unknown_field")
        hit = pc.equal(pc.cast(table.column(name), pa.string()), str(value))
        mask = hit if mask is None else pc.and_(mask, hit)
    return table.filter(mask), version


def report_correction(actor: Principal, resource: Resource, key: dict, field: str, proposed_value: str,
                      explanation: str, *, on: dt.date | None = None) -> Correction:
    from .access import key_fields, secure_row, unusable_fields
    from .services import access_scope
    from .services.common import _deadline, correction_days

    require(actor, "exchange.correct")
    scope = access_scope(actor, resource)
    if scope is None or scope.basis == "provider":
        raise PermissionDenied("只有获得授权的使用部门可以对该资源纠错")
    keys = key_fields(resource)
    if not keys or set(key) != set(keys):
        raise ValidationError(f"请用主键数据项 {', '.join(keys) or '(无)'} 指明记录", code="bad_key")
    if field not in scope.fields:
        raise ValidationError(f"数据项 {field} 不存在或未获授权", code="field_not_granted")
    if field in keys:
        raise ValidationError("主键数据项不能通过纠错修改", code="key_field")
    if any(k in unusable_fields(scope) for k in keys):  # naming a row by a masked key is a look-up by its value
        raise ValidationError("主键数据项在您的授权中为脱敏显示,不能用于指明记录", code="field_masked")
    if not (explanation or "").strip():
        raise ValidationError("请说明错误情况和依据", code="missing_text")
    rows, _version = _find_row(resource, key)
    if rows.num_rows == 0:
        raise ValidationError("找不到该主键对应的记录", code="row_not_found")
    # What the reporter may see of that row, each grant on its own; a row none reaches is not theirs to name.
    visible = secure_row(scope, rows.slice(0, 1).to_pylist()[0], scope.tags)
    if field not in visible:
        raise ValidationError("找不到该主键对应的记录", code="row_not_found")
    shown = visible[field]
    on = on or today()
    deadline = _deadline(on, correction_days())
    with transaction.atomic():
        correction = Correction.objects.create(
            resource=resource, reporter=actor.department, reported_by=actor.user or actor.token.created_by, key={k: str(v) for k, v in key.items()}, field=field,
            reported_value="" if shown is None else str(shown), proposed_value=str(proposed_value or ""),
            explanation=explanation.strip(), opened_on=on, deadline=deadline)
        audit.record(actor, "exchange.correction.report", correction,
                     {"resource": resource.code, "key": correction.key, "field": field, "deadline": deadline})
        core.notify_department(resource.provider, "exchange.correction", f"数据纠错待校核:{resource.name}",
                               f"{actor.department.name} 反馈 {field} 有误,请于 {deadline} 前校核更正。",
                               f"/exchange/corrections/{correction.pk}/")
    return correction


def answer_correction(actor: Principal, correction: Correction, accept: bool, answer: str,
                      corrected_value: str | None = None) -> Correction:
    """Accept (writes a new version with the corrected value) or keep the value with a reason."""
    return workflow.perform(actor, correction, "accept" if accept else "keep", answer=answer or "",
                            corrected_value=corrected_value)


def write_correction(correction: Correction, corrected_value: str | None) -> int:
    """The new lake version with the corrected value (merge on the key); the lake's hook pushes it to subscribers."""
    resource = correction.resource
    value = correction.proposed_value if corrected_value is None else corrected_value
    rows, _ = _find_row(resource, correction.key)
    if rows.num_rows == 0:
        raise ValidationError("找不到该主键对应的记录", code="row_not_found")
    column = rows.schema.get_field_index(correction.field)
    target_type = rows.schema.field(column).type
    try:
        new_column = pc.cast(pa.array([value] * rows.num_rows, pa.string()), target_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValidationError(f"更正值 {value} 与数据项类型不符", code="bad_value") from exc
    rows = rows.set_column(column, rows.schema.field(column), new_column)
    return lake.write(resource.code, rows, mode="merge", key=list(correction.key))
