"""The public portal's rules (公众门户, no login): what the public may see and in which form.

- Open data (开放数据): published resources shared unconditionally (无条件共享) and marked 可开放; rows are
  read from the lake's current version and every tagged personal field is masked, whatever the caller.
- 双公示: licences and penalties published and still inside their publicity period.
- 双随机、一公开: inspection plans from the published seed on (with the object-pool digest, so anyone can
  re-run the draw) and the results of the tasks whose results were published (supervision's public_plans /
  public_results).
- Evaluation reports approved and published by the district government (evaluation's published_reports).

Every read is written to the audit chain by the caller (``record_read``), with the visitor's address.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from regshare.catalog.models import OpenType, Resource, ShareType
from regshare.core import audit, exports
from regshare.core.clock import today_or
from regshare.core.filters import Choice, Exact, Filters, Search
from regshare.core.permissions import Principal
from regshare.credit.models import CreditRecord, PublicityStatus, RecordKind
from regshare.evaluation import services as evaluation
from regshare.exchange.masking import MASKED_TAGS, mask_table
from regshare.lake import engine
from regshare.lake import tables as lake
from regshare.supervision import services as supervision
from regshare.supervision.models import DrawSelection, InspectionTask, TaskStatus

PUBLIC = Principal()
PREVIEW_ROWS = 20
API_MAX_LIMIT = 200
MAX_OFFSET = 10**9
# A public download is a file a browser saves in one piece; larger sets go through the API, page by page.
DOWNLOAD_MAX_ROWS = 100_000
DOWNLOAD_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

OPEN_DATA_FILTERS = Filters(Search("q", "name", "summary", "code"), Exact("provider", "provider__code"))
PUBLICITY_FILTERS = Filters(Search("q", "raw_name", "raw_uscc", "doc_no", "title"), Choice("kind", RecordKind))
PUBLICITY_KINDS = (RecordKind.LICENCE, RecordKind.PENALTY)


def record_read(address: str, action: str, target: str, detail: dict | None = None) -> None:
    """Audit one public read: the actor is the anonymous public, with the visitor's address."""
    audit.record(PUBLIC, f"portal.{action}", target, {"ip": address, **(detail or {})})


# ----------------------------------------------------------------------------- open data


def open_resources(params: Mapping[str, Any] | None = None) -> QuerySet[Resource]:
    """Published, unconditionally shared and open resources, searchable by name and provider."""
    items = (Resource.objects.visible_to(PUBLIC).filter(share_type=ShareType.UNCONDITIONAL, open_type=OpenType.OPEN)
             .select_related("provider").order_by("code"))
    return OPEN_DATA_FILTERS.apply(items, params or {})


def open_resource(code: str) -> Resource:
    """An open resource by code; any other resource is a 404 (its existence is not disclosed)."""
    resource = open_resources().filter(code=code).first()
    if resource is None:
        raise Http404("没有这个开放数据资源")
    return resource


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    masked: bool


def columns(resource: Resource) -> list[Column]:
    return [Column(f.code_name, f.name, f.tag in MASKED_TAGS)
            for f in resource.fields.order_by("position", "id").only("code_name", "name", "tag")]


@dataclass
class RowsPage:
    version: int | None
    columns: list[Column]
    rows: list[list[Any]]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total


def _tags(resource: Resource) -> dict[str, str]:
    return dict(resource.fields.exclude(tag="").values_list("code_name", "tag"))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def rows(resource: Resource, *, offset: int = 0, limit: int = PREVIEW_ROWS) -> RowsPage:
    """One page of the current version's rows, personal fields masked."""
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationError(f"offset 须在 0 到 {MAX_OFFSET} 之间", code="bad_offset")
    if not 1 <= limit <= API_MAX_LIMIT:
        raise ValidationError(f"limit 须在 1 到 {API_MAX_LIMIT} 之间", code="bad_limit")
    cols = columns(resource)
    version = lake.current_version(resource.code)
    if version is None or not cols:
        return RowsPage(None, cols, [], 0, offset, limit)
    names = [c.code for c in cols]
    order = ", ".join(f'"{n}"' for n in names[:1])
    with engine.session(tables={"t": engine.LakeTable(resource.code, version=version)}) as s:
        total = int(s.scalar("SELECT count(*) FROM t") or 0)
        select = ", ".join(f'"{n}"' for n in names)
        table = s.table(f"SELECT {select} FROM t ORDER BY {order} LIMIT ? OFFSET ?", [limit, offset])
    table = mask_table(table, _tags(resource))
    data = [[_plain(v) for v in row.values()] for row in table.to_pylist()]
    return RowsPage(version, cols, data, total, offset, limit)


@dataclass(frozen=True)
class PublicFile:
    content: bytes
    filename: str
    content_type: str
    rows: int


def download(resource: Resource, fmt: str) -> PublicFile:
    """The whole current version as CSV (UTF-8 with BOM, for Excel) or Excel, Chinese column headers,
    personal fields masked, formula-like text neutralised (core.exports)."""
    fmt = (fmt or "").lower()
    if fmt not in DOWNLOAD_TYPES:
        raise ValidationError("下载格式须为 csv 或 xlsx", code="bad_format")
    cols = columns(resource)
    version = lake.current_version(resource.code)
    if version is None or not cols:
        raise ValidationError("该资源尚无可下载的数据", code="no_data")
    names = [c.code for c in cols]
    with engine.session(tables={"t": engine.LakeTable(resource.code, version=version)}) as s:
        count = int(s.scalar("SELECT count(*) FROM t") or 0)
        if count > DOWNLOAD_MAX_ROWS:
            raise ValidationError(f"共 {count} 行,超过下载上限 {DOWNLOAD_MAX_ROWS} 行,请通过开放接口分页获取",
                                  code="too_many_rows")
        select = ", ".join(f'"{n}"' for n in names)
        table = s.table(f'SELECT {select} FROM t ORDER BY "{names[0]}"')
    table = mask_table(table, _tags(resource))
    header = [c.label for c in cols]
    records = ([_plain(v) for v in row.values()] for row in table.to_pylist())
    filename = f"{resource.code}-{resource.name}-v{version}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(exports.csv_row(header))
        for record in records:
            writer.writerow(exports.csv_row(record))
        return PublicFile(buffer.getvalue().encode("utf-8-sig"), filename, DOWNLOAD_TYPES[fmt], table.num_rows)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(resource.name[:31])
    sheet.append(exports.xlsx_row(sheet, header))
    for record in records:
        sheet.append(exports.xlsx_row(sheet, record))
    out = io.BytesIO()
    book.save(out)
    return PublicFile(out.getvalue(), filename, DOWNLOAD_TYPES[fmt], table.num_rows)


# ----------------------------------------------------------------------------- 双公示


def publicity(params: Mapping[str, Any] | None = None, today: dt.date | None = None) -> QuerySet[CreditRecord]:
    """Licences and penalties published and inside their publicity period, the newest decision first."""
    today = today_or(today)
    items = (CreditRecord.objects.filter(kind__in=PUBLICITY_KINDS, publicity=PublicityStatus.PUBLISHED)
             .filter(Q(publicity_until__isnull=True) | Q(publicity_until__gte=today))
             .select_related("department").order_by("-decided_on", "-id"))
    return PUBLICITY_FILTERS.apply(items, params or {})


# ----------------------------------------------------------------------------- 双随机、一公开


def inspection_plans(q: str = "") -> QuerySet[InspectionTask]:
    """Random-inspection plans made public (from the published seed on), newest first (supervision's rule)."""
    return supervision.public_plans(q)


def inspection_plan(code: str) -> InspectionTask:
    task = supervision.public_plans().filter(code=code).first()
    if task is None:
        raise Http404("没有这个公开的抽查任务")
    return task


def results_published(task: InspectionTask) -> bool:
    return task.status == TaskStatus.PUBLISHED


def inspection_results(task: InspectionTask) -> QuerySet[DrawSelection]:
    """The published results of a task; before they are published, the drawn objects (the draw is public)."""
    if results_published(task):
        return supervision.public_results(task)
    return task.selections.select_related("entity").only("code", "entity__name", "task_id").order_by("code")


# ----------------------------------------------------------------------------- evaluation reports


def reports(q: str = "") -> QuerySet:
    """Evaluation reports approved by the district government and published (evaluation's rule)."""
    return evaluation.published_reports(q)


def report(report_id: int):
    found = evaluation.published_reports().filter(pk=report_id).first()
    if found is None:
        raise Http404("没有这份已发布的评估报告")
    return found


def report_file(report_id: int, fmt: str) -> PublicFile:
    found = evaluation.published_report_file(report_id, fmt)
    if found is None:
        raise Http404("该报告没有这种格式的文件")
    content, filename, content_type = found
    return PublicFile(content, filename, content_type, 0)
