"""Quality series, reports and the rejected rows of a load."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from regshare.catalog.models import Resource
from regshare.core import audit, exports
from regshare.core.permissions import Principal

from ..models import Load, LoadStatus, QualityReport
from .access import check_can_view_load
from .loads import resource_timeliness


def quality_series(resource: Resource) -> list[dict]:
    reports = QualityReport.objects.filter(resource=resource).select_related("load").order_by("created_at", "id")
    return [{"date": timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"), "load": r.load_id,
             "completeness": round(r.completeness, 4), "validity": round(r.validity, 4),
             "uniqueness": round(r.uniqueness, 4), "timeliness": round(r.timeliness, 4),
             "score": round(r.score, 4), "status": r.load.status} for r in reports]


def resource_quality(resource: Resource) -> dict:
    """The resource's quality now: its last accepted load's figures and current timeliness."""
    report = (QualityReport.objects.filter(resource=resource, load__status=LoadStatus.LOADED)
              .order_by("-created_at", "-id").first())
    if report is None:
        return {}
    timeliness = resource_timeliness(resource)
    return {"completeness": report.completeness, "validity": report.validity, "uniqueness": report.uniqueness,
            "timeliness": timeliness if timeliness is not None else report.timeliness,
            "as_of": report.created_at, "load": report.load_id, "version": report.load.version}


REJECT_COLUMNS = ("行号", "字段", "原始值", "问题原因")


def rejects_table(load: Load):
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not load.rejects_path or not Path(load.rejects_path).exists():
        return pa.table({"row": pa.array([], pa.int64()), "field": pa.array([], pa.string()),
                         "value": pa.array([], pa.string()), "reason": pa.array([], pa.string())})
    return pq.read_table(load.rejects_path)


def rejects_download(principal: Principal, load: Load, fmt: str = "csv") -> tuple[bytes, str, str]:
    """The load's rejected rows with Chinese reasons as CSV (UTF-8 with BOM, opens in Excel) or XLSX."""
    check_can_view_load(principal, load)
    if fmt not in ("csv", "xlsx"):
        raise ValidationError("下载格式只能是 csv 或 xlsx", code="bad_format")
    table = rejects_table(load)
    base = f"{load.resource.code}-归集{load.pk}-问题数据"
    with transaction.atomic():
        audit.record(principal, "ingest.rejects.download", load, {"format": fmt, "rows": table.num_rows})
    if fmt == "csv":
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(REJECT_COLUMNS)
        for rec in table.to_pylist():
            writer.writerow(exports.csv_row([rec["row"], rec["field"], rec["value"] or "", rec["reason"]]))
        return buffer.getvalue().encode("utf-8-sig"), f"{base}.csv", "text/csv; charset=utf-8"
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("问题数据")
    sheet.append(list(REJECT_COLUMNS))
    for rec in table.slice(0, 1_000_000).to_pylist():
        sheet.append(exports.xlsx_row(sheet, [rec["row"], rec["field"], rec["value"] or "", rec["reason"]]))
    out = io.BytesIO()
    book.save(out)
    return (out.getvalue(), f"{base}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def catalog_quality_panel(principal: Principal, resource: Resource) -> tuple[str, str] | None:
    """The 数据质量 section of the catalog's resource page: current figures and the quality line chart."""
    import json

    from django.core.exceptions import ObjectDoesNotExist
    from django.template.loader import render_to_string

    from regshare.core.permissions import has_perm

    if not has_perm(principal, "ingest.view"):
        return None
    try:
        series = quality_series(resource)
    except ObjectDoesNotExist:
        return None
    html = render_to_string("ingest/_catalog_panel.html", {
        "resource": resource, "current": resource_quality(resource), "series": series,
        "series_json": json.dumps(series, ensure_ascii=False)})
    return "归集与质量", html
