"""Excel exchange: the supervision item catalog (export and import) and 12345 hotline work orders (import).

Reading reuses the catalog's sheet reader (header found among the top rows, merged cells spread, upload size
and zip-bomb checks); writing goes through core.exports so no cell becomes a formula."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from openpyxl import Workbook

from regshare.catalog.transfer import read_table
from regshare.core import audit, exports
from regshare.core.models import Department
from regshare.core.permissions import Principal, require
from regshare.core.uploads import check_size

from . import services
from .models import SupervisionLevel, SupervisionWay

ITEM_COLUMNS = [
    ("监管事项目录编码", "catalog_code", ("目录编码", "事项编码")),
    ("监管部门", "department", ("部门",)),
    ("主项名称", "main_name", ("监管事项主项名称",)),
    ("子项名称", "sub_name", ("监管事项子项名称",)),
    ("监管方式", "way", ()),
    ("监管措施", "measures", ()),
    ("监管对象", "target", ()),
    ("设定依据", "legal_basis", ("法律依据",)),
    ("监管流程", "process", ()),
    ("监管结果", "result", ()),
    ("监管层级", "level", ()),
]

COMPLAINT_COLUMNS = [
    ("工单编号", "order_no", ("工单号", "编号")),
    ("来电日期", "received_on", ("受理时间", "登记日期", "来电时间")),
    ("诉求类型", "kind", ("类型",)),
    ("诉求分类", "category", ("分类", "问题分类")),
    ("诉求人", "complainant", ("来电人", "姓名")),
    ("联系电话", "phone", ("电话",)),
    ("发生区域", "area", ("区域代码", "所属区域")),
    ("被反映对象", "subject_name", ("被投诉对象", "企业名称")),
    ("统一社会信用代码", "uscc", ("信用代码",)),
    ("诉求内容", "content", ("内容", "来电内容")),
]
KINDS = {"投诉": "complaint", "举报": "report", "咨询": "consult"}


def _read(upload: Any, columns) -> list[tuple[int, dict[str, str]]]:
    check_size(upload, label="Excel文件")
    content = upload.read()
    return read_table(content, columns)


def import_items(principal: Principal, upload: Any, default_department: Department | None) -> dict:
    """Rows with errors are reported by row number; the others are saved (created or updated by code)."""
    require(principal, "supervision.manage_items")
    rows = _read(upload, ITEM_COLUMNS)
    departments = {d.name: d for d in Department.objects.filter(active=True)}
    saved, errors = 0, []
    for row_number, values in rows:
        department = departments.get(values.get("department", "").strip()) or default_department
        try:
            if department is None:
                raise ValidationError("监管部门不存在")
            with transaction.atomic():
                services.save_item(principal, department, values)
            saved += 1
        except ValidationError as exc:
            errors.append(f"第{row_number}行:{';'.join(exc.messages)}")
        except Exception as exc:  # PermissionDenied for another department's row
            errors.append(f"第{row_number}行:{exc}")
    audit.record(principal, "supervision.items_imported", "supervision:items", {"saved": saved, "errors": len(errors)})
    return {"saved": saved, "errors": errors}


def export_items(principal: Principal, items) -> bytes:
    require(principal, "supervision.view")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("监管事项目录清单")
    sheet.append([h for h, _a, _o in ITEM_COLUMNS] + ["检查实施清单编码"])
    way, level = dict(SupervisionWay.choices), dict(SupervisionLevel.choices)
    for item in items.select_related("department").prefetch_related("claims"):
        sheet.append(exports.xlsx_row(sheet, [
            item.catalog_code, item.department.name, item.main_name, item.sub_name, way.get(item.way, item.way),
            item.measures, item.target, item.legal_basis, item.process, item.result, level.get(item.level, item.level),
            "、".join(c.implementing_code for c in item.claims.all() if c.active)]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(principal, "supervision.items_exported", "supervision:items", {})
    return buffer.getvalue()


def items_response(principal: Principal, items) -> HttpResponse:
    response = HttpResponse(export_items(principal, items),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename=supervision-items.xlsx"
    return response


def _date(text: str) -> dt.date:
    text = (text or "").strip()[:10].replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"日期格式不正确: {text or '空'}") from exc


def import_complaints(principal: Principal, upload: Any) -> dict:
    """12345 work orders: each row is taken in and routed; rows already imported are skipped."""
    require(principal, "supervision.complaint_intake")
    rows = _read(upload, COMPLAINT_COLUMNS)
    saved, errors = 0, []
    for row_number, values in rows:
        try:
            data = {**values, "received_on": _date(values.get("received_on", "")),
                    "kind": KINDS.get(values.get("kind", "").strip(), "complaint")}
            with transaction.atomic():
                services.intake(principal, data, source="import")
            saved += 1
        except ValidationError as exc:
            errors.append(f"第{row_number}行:{';'.join(exc.messages)}")
    return {"saved": saved, "errors": errors}
