"""Provision rules: loads from files, database tables and HTTP interfaces; quality; the monthly duty.

Every load goes: ``Load`` row (pending) → pipeline (DuckDB) → Delta commit (lake) → ``Load`` and
``QualityReport`` updated with the audit record in one transaction → provider notified (质量反馈)
→ ``lake.hooks`` fired. A load that is rejected or fails never reaches the Delta commit, so the
previous version stays current and readable.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import logging
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from regshare.catalog.models import Frequency, Provision, Resource, Status
from regshare.core import audit, exports, uploads
from regshare.core.models import Role, User
from regshare.core.permissions import Principal, is_data_bureau, require
from regshare.core.services import notify_data_bureau, notify_department
from regshare.lake import hooks, tables

from . import pipeline, readers, sources
from .models import (
    DataSource,
    DutyReminder,
    Load,
    LoadAttachment,
    LoadMode,
    LoadStatus,
    MonthlyReport,
    QualityReport,
    ReportKind,
    SourceKind,
)
from .rules import FieldSpec

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]

# Days between updates each frequency promises, with the grace before a load counts as late.
FREQUENCY_DAYS = {Frequency.REALTIME: 1, Frequency.DAILY: 1, Frequency.WEEKLY: 7, Frequency.MONTHLY: 31,
                  Frequency.QUARTERLY: 92, Frequency.YEARLY: 366}
GRACE_DAYS = {Frequency.REALTIME: 1, Frequency.DAILY: 1, Frequency.WEEKLY: 2, Frequency.MONTHLY: 5,
              Frequency.QUARTERLY: 10, Frequency.YEARLY: 31}
DUTY_DAY = 5  # file-based providers report last month's data by the 5th (seed 002 五.3)


@dataclass
class LoadResult:
    load: Load
    accepted: bool
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicates: int = 0
    version: int | None = None
    quality: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    message: str = ""

    def as_dict(self) -> dict:
        return {"load_id": self.load.pk, "resource": self.load.resource.code, "status": self.load.status,
                "rows_in": self.rows_in, "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
                "duplicates": self.duplicates, "version": self.version, "quality": self.quality,
                "errors": self.errors, "message": self.message}

    @classmethod
    def of(cls, load: Load) -> LoadResult:
        report = QualityReport.objects.filter(load=load).first()
        quality = {}
        if report is not None:
            quality = {"completeness": report.completeness, "validity": report.validity,
                       "uniqueness": report.uniqueness, "timeliness": report.timeliness}
        return cls(load=load, accepted=load.status == LoadStatus.LOADED, rows_in=load.rows_in,
                   rows_loaded=load.rows_loaded, rows_rejected=load.rows_rejected, duplicates=load.duplicates,
                   version=load.version, quality=quality, errors=load.errors, message=load.message)


# ----------------------------------------------------------------------------- who may do what


def _principal(actor) -> Principal | None:
    """A Principal to check, or None for the system itself (CLI, demo, scheduled pulls)."""
    if isinstance(actor, Principal):
        return actor
    if isinstance(actor, User):
        return Principal.for_user(actor)
    return None


def _user_of(actor) -> User | None:
    principal = _principal(actor)
    return principal.user if principal is not None else None


def check_can_provide(actor, resource: Resource) -> None:
    """Only the provider department's liaison/admin (or a platform admin) loads a resource's data."""
    principal = _principal(actor)
    if principal is None:
        return
    require(principal, "ingest.upload")
    if Role.PLATFORM_ADMIN in principal.roles:
        return
    if principal.department is None or principal.department.pk != resource.provider_id:
        raise PermissionDenied(f"只有提供部门({resource.provider.name})可以归集该资源的数据")


def check_can_view_load(principal: Principal, load: Load) -> None:
    require(principal, "ingest.view")
    if is_data_bureau(principal):
        return
    if principal.department is None or principal.department.pk != load.department_id:
        raise PermissionDenied("只能查看本部门的归集记录")


def resources_providable_by(principal: Principal) -> QuerySet[Resource]:
    resources = Resource.objects.select_related("provider").exclude(status=Status.OFFLINE)
    if Role.PLATFORM_ADMIN in principal.roles:
        return resources
    if principal.department is None:
        return resources.none()
    return resources.filter(provider=principal.department)


def visible_resource(principal: Principal, code: str) -> Resource:
    """The resource for a page or API call, or 404 when the principal may not know of it: another
    department's draft is invisible here exactly as in the catalog."""
    from regshare.catalog.services import get_visible

    return get_visible(principal, code)


def get_resource(resource: Resource | str) -> Resource:
    if isinstance(resource, Resource):
        return resource
    found = Resource.objects.filter(code=str(resource).strip()).select_related("provider").first()
    if found is None:
        raise ValidationError(f"数据资源 {resource} 不存在", code="unknown_resource")
    return found


def field_specs(resource: Resource) -> list[FieldSpec]:
    specs = [FieldSpec.of(f) for f in resource.fields.order_by("position", "id")]
    if not specs:
        raise ValidationError(f"数据资源 {resource.code} 尚未定义数据项,无法归集", code="no_fields")
    return specs


# ----------------------------------------------------------------------------- storage


def storage_dir(*parts: str) -> Path:
    path = Path(settings.DATA_DIR) / "ingest"
    for part in parts:
        path = path / part
    path.mkdir(parents=True, exist_ok=True)
    return path


def _safe_name(name: str) -> str:
    name = Path(name or "upload").name.replace("\x00", "")
    return name[-150:] or "upload"


def store_upload(uploaded, name: str | None = None) -> Path:
    """Copy an uploaded file (Django UploadedFile or open binary file) into the ingest area."""
    target = storage_dir("uploads", uuid.uuid4().hex) / _safe_name(name or getattr(uploaded, "name", "upload"))
    with open(target, "wb") as out:
        if hasattr(uploaded, "chunks"):
            for chunk in uploaded.chunks():
                out.write(chunk)
        else:
            shutil.copyfileobj(uploaded, out)
    return target


# ----------------------------------------------------------------------------- loads


def _new_load(actor, resource: Resource, *, kind: str, mode: str, file_name: str, stored_path: str = "") -> Load:
    if mode not in LoadMode.values:
        raise ValidationError(f"写入方式只能是 replace(全量替换)或 merge(增量合并),收到 {mode}", code="bad_mode")
    if mode == LoadMode.MERGE and not resource.fields.filter(is_key=True).exists():
        raise ValidationError("该资源没有主键字段,不能增量合并", code="merge_needs_key")
    user = _user_of(actor)
    with transaction.atomic():
        load = Load.objects.create(
            resource=resource, department=resource.provider, created_by=user,
            actor_label=str(actor)[:150] if user is None else "", source_kind=kind, file_name=file_name[:300],
            stored_path=stored_path, mode=mode)
        audit.record(actor, "ingest.load.create", load, {"resource": resource.code, "source": kind,
                                                         "file": file_name, "mode": mode})
    return load


def _progress_writer(load: Load, echo: Progress | None) -> Progress:
    def step(stage: str, fraction: float) -> None:
        Load.objects.filter(pk=load.pk).update(stage=stage[:40], progress=round(fraction, 3))
        if echo is not None:
            echo(stage, fraction)

    return step


def _timeliness(resource: Resource, when: dt.datetime, before: Load | None) -> float:
    """1.0 when the data came within the promised interval (plus grace) of the previous load."""
    days = FREQUENCY_DAYS.get(resource.update_frequency)
    if days is None:
        return 1.0
    previous = (Load.objects.filter(resource=resource, status=LoadStatus.LOADED, finished_at__lt=when)
                .exclude(pk=getattr(before, "pk", None)).order_by("-finished_at").first())
    if previous is None:
        return 1.0
    allowed = days + GRACE_DAYS.get(resource.update_frequency, 0)
    elapsed = (when - previous.finished_at).total_seconds() / 86400
    return 1.0 if elapsed <= allowed else round(max(0.0, allowed / elapsed), 4)


def resource_timeliness(resource: Resource, now: dt.datetime | None = None) -> float | None:
    """How current the resource is now: 1.0 when its latest load is within its update interval."""
    days = FREQUENCY_DAYS.get(resource.update_frequency)
    latest = Load.objects.filter(resource=resource, status=LoadStatus.LOADED).order_by("-finished_at").first()
    if latest is None:
        return None
    if days is None:
        return 1.0
    now = now or timezone.now()
    allowed = days + GRACE_DAYS.get(resource.update_frequency, 0)
    elapsed = (now - latest.finished_at).total_seconds() / 86400
    return 1.0 if elapsed <= allowed else round(max(0.0, allowed / elapsed), 4)


def execute_load(load: Load, source_factory: Callable[[list[FieldSpec]], readers.Source], *,
                 progress: Progress | None = None, after_write: Callable[[], None] | None = None) -> LoadResult:
    """Run the pipeline for a pending load and record the outcome. Never leaves a half-written version."""
    resource = load.resource
    Load.objects.filter(pk=load.pk).update(status=LoadStatus.RUNNING, started_at=timezone.now(), stage="准备")
    step = _progress_writer(load, progress)
    source = None
    try:
        specs = field_specs(resource)
        source = source_factory(specs)
        keys = [s.code_name for s in specs if s.is_key]
        rejects = storage_dir("rejects") / f"load-{load.pk}.parquet"

        def write(data, rows: int) -> int:
            return tables.write(resource.code, data, mode=load.mode, key=keys, notify=False, rows=rows)

        outcome = pipeline.run(source, specs, max_invalid_fraction=resource.max_invalid_fraction, write=write,
                               rejects_path=rejects, progress=step, merge=load.mode == LoadMode.MERGE)
    except ValidationError as exc:
        return _finish_failed(load, ";".join(exc.messages), LoadStatus.REJECTED)
    except Exception as exc:  # the Delta commit did not happen: the previous version is still current
        log.exception("load %s failed", load.pk)
        return _finish_failed(load, f"归集失败,原有数据版本未受影响:{exc}", LoadStatus.FAILED)
    finally:
        if source is not None:
            source.cleanup()
    now = timezone.now()
    status = LoadStatus.LOADED if outcome.accepted else LoadStatus.REJECTED
    if outcome.accepted:
        message = f"已入库 {outcome.rows_loaded} 行,生成数据版本 {outcome.version}"
        if outcome.rows_rejected:
            message += f";{outcome.rows_rejected} 行无效未入库"
        if outcome.duplicates:
            message += f";{outcome.duplicates} 行主键重复已去重"
    else:
        message = outcome.reason
    timeliness = _timeliness(resource, now, load) if outcome.accepted else 0.0
    score = round((outcome.completeness + outcome.validity + outcome.uniqueness + timeliness) / 4, 4)
    with transaction.atomic():
        Load.objects.filter(pk=load.pk).update(
            status=status, stage="完成" if outcome.accepted else "已拒收", progress=1.0, finished_at=now,
            rows_in=outcome.rows_in, rows_loaded=outcome.rows_loaded, rows_rejected=outcome.rows_rejected,
            duplicates=outcome.duplicates, version=outcome.version, message=message, errors=outcome.errors,
            ignored_columns=source.ignored_columns, rejects_path=outcome.rejects_path,
            file_format=source.file_format, encoding=source.encoding)
        load.refresh_from_db()
        QualityReport.objects.update_or_create(load=load, defaults={
            "resource": resource, "completeness": outcome.completeness, "validity": outcome.validity,
            "uniqueness": outcome.uniqueness, "timeliness": timeliness, "score": score,
            "field_stats": outcome.field_stats, "notes": message})
        if outcome.accepted and load.source_kind == SourceKind.FILE and resource.provision == Provision.FILE:
            _record_monthly_from_load(load)
        audit.record(load.created_by or load.actor_label or "system", "ingest.load.finish", load,
                     {"resource": resource.code, "status": status, "version": outcome.version,
                      "rows_in": outcome.rows_in, "rows_loaded": outcome.rows_loaded,
                      "rows_rejected": outcome.rows_rejected, "duplicates": outcome.duplicates})
        _feedback(load, outcome)
    if after_write is not None and outcome.accepted:
        after_write()
        load.refresh_from_db()
    if outcome.accepted and outcome.version is not None:
        hooks.fire(resource.code, outcome.version, load.mode)
    result = LoadResult.of(load)
    result.quality = outcome.quality | {"timeliness": timeliness}
    return result


def _finish_failed(load: Load, message: str, status: str) -> LoadResult:
    with transaction.atomic():
        Load.objects.filter(pk=load.pk).update(status=status, stage="失败" if status == LoadStatus.FAILED else "已拒收",
                                               progress=1.0, finished_at=timezone.now(), message=message[:2000])
        load.refresh_from_db()
        audit.record(load.created_by or load.actor_label or "system", "ingest.load.finish", load,
                     {"resource": load.resource.code, "status": status, "message": message[:300]})
        notify_department(load.department, "ingest.quality", f"{load.resource.name} 数据归集未成功",
                          message, load_link(load))
    return LoadResult.of(load)


def load_link(load: Load) -> str:
    """The path of ``ingest:load``, written out: ``reverse`` would first import every app's URLs and
    views, a third of a second of a one-shot ``regshare ingest`` (a test keeps the two equal)."""
    return f"/ingest/loads/{load.pk}/"


def _feedback(load: Load, outcome: pipeline.PipelineResult) -> None:
    """质量反馈: the provider hears about every load that had problems."""
    if outcome.accepted and not outcome.rows_rejected and not outcome.duplicates:
        return
    resource = load.resource
    title = (f"{resource.name} 数据质量反馈:{outcome.rows_rejected} 行无效" if outcome.accepted
             else f"{resource.name} 数据被拒收")
    body = (f"第 {load.pk} 次归集:读入 {outcome.rows_in} 行,入库 {outcome.rows_loaded} 行,无效 "
            f"{outcome.rows_rejected} 行,重复 {outcome.duplicates} 行。完整性 {outcome.completeness:.1%},"
            f"有效性 {outcome.validity:.1%},唯一性 {outcome.uniqueness:.1%}。"
            + ("" if outcome.accepted else outcome.reason) + " 请下载问题数据清单核实更正。")
    notify_department(load.department, "ingest.quality", title, body, load_link(load))


def ingest_file(actor, path: str | Path, resource: Resource | str, mode: str = "replace", *,
                progress: Progress | None = None, load: Load | None = None,
                attachments: list[str | Path] | None = None) -> LoadResult:
    """Load a provider file (CSV/XLSX/XLS/JSON/NDJSON) into a new version of the resource's table."""
    resource = get_resource(resource)
    check_can_provide(actor, resource)
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"文件不存在: {path}", code="file_not_found")
    readers.detect_format(path)  # Word/PDF and missing files are refused before any load is recorded
    if load is None:
        load = _new_load(actor, resource, kind=SourceKind.FILE, mode=mode, file_name=path.name,
                         stored_path=str(path))
    for attachment in attachments or []:
        add_attachment(load, Path(attachment))
    return execute_load(load, lambda specs: readers.open_file(path, specs), progress=progress)


def add_attachment(load: Load, path: Path, name: str | None = None) -> LoadAttachment:
    name = _safe_name(name or path.name)
    if Path(name).suffix.lower() not in readers.ATTACHMENT_EXT:
        raise ValidationError(f"附件只接受 Word/PDF 文件:{name}", code="bad_attachment")
    uploads.check_document(path, name, label="附件")
    target = storage_dir("attachments", str(load.pk)) / name
    if Path(path).resolve() != target.resolve():
        shutil.copyfile(path, target)
    return LoadAttachment.objects.create(load=load, name=name, stored_path=str(target), size=target.stat().st_size)


def start_upload(actor, resource: Resource | str, uploaded, *, mode: str = "replace",
                 attachments: list | None = None) -> Load:
    """UI/API upload: store the file and queue the load as a background task (huey)."""
    resource = get_resource(resource)
    check_can_provide(actor, resource)
    name = _safe_name(getattr(uploaded, "name", "upload"))
    suffix = Path(name).suffix.lower()
    if suffix in readers.ATTACHMENT_EXT:
        raise ValidationError("Word/PDF 文件不能作为数据导入,请在“附件”中上传", code="attachment_only")
    known = readers.CSV_EXT | readers.EXCEL_EXT | readers.JSON_EXT | readers.NDJSON_EXT
    if suffix not in known:
        raise ValidationError("只支持 CSV、XLSX、XLS、JSON、NDJSON 文件", code="bad_format")
    uploads.check_size(uploaded, label="数据文件")
    if suffix in readers.EXCEL_EXT:
        uploads.check_zip_upload(uploaded)
    for item in attachments or []:
        item_name = _safe_name(getattr(item, "name", ""))
        if Path(item_name).suffix.lower() not in readers.ATTACHMENT_EXT:
            raise ValidationError(f"附件只接受 Word/PDF 文件:{item_name}", code="bad_attachment")
        uploads.check_size(item, label=f"附件「{item_name}」")
        uploads.check_document(item, item_name, label="附件")
    stored = store_upload(uploaded, name)
    load = _new_load(actor, resource, kind=SourceKind.FILE, mode=mode, file_name=name, stored_path=str(stored))
    for item in attachments or []:
        add_attachment(load, store_upload(item), getattr(item, "name", None))
    from .tasks import run_file_load

    run_file_load(load.pk)
    return load


def run_stored_load(load_id: int) -> LoadResult:
    """The background half of ``start_upload``."""
    load = Load.objects.select_related("resource", "department", "created_by").get(pk=load_id)
    if load.is_finished:
        return LoadResult.of(load)
    path = Path(load.stored_path)
    return execute_load(load, lambda specs: readers.open_file(path, specs))


# ----------------------------------------------------------------------------- table docking and interface pull


def save_source(actor, resource: Resource | str, **values) -> DataSource:
    resource = get_resource(resource)
    check_can_provide(actor, resource)
    kind = values.get("kind")
    if kind not in (SourceKind.TABLE, SourceKind.API):
        raise ValidationError("对接方式只能是库表对接或接口拉取", code="bad_source_kind")
    sources.check_config(kind, values)
    with transaction.atomic():
        source, _ = DataSource.objects.update_or_create(resource=resource, defaults=values)
        audit.record(actor, "ingest.source.save", source, {"resource": resource.code, "kind": kind,
                                                           "url": sources.redact(values.get("url", ""))})
    return source


def pull(actor, resource: Resource | str, *, progress: Progress | None = None, full: bool = False) -> LoadResult:
    """Pull new rows from the resource's database table or HTTP interface (merge on the key, by watermark)."""
    resource = get_resource(resource)
    check_can_provide(actor, resource)
    config = DataSource.objects.filter(resource=resource).first()
    if config is None or not config.enabled:
        raise ValidationError(f"数据资源 {resource.code} 未配置库表对接或接口拉取来源", code="no_source")
    has_key = resource.fields.filter(is_key=True).exists()
    since = "" if full else config.watermark_value
    mode = LoadMode.MERGE if (since and has_key) else LoadMode.REPLACE
    load = _new_load(actor, resource, kind=config.kind, mode=mode, file_name=sources.describe(config))
    Load.objects.filter(pk=load.pk).update(watermark_from=since, started_at=timezone.now(), stage="拉取数据")
    try:
        records, mark = sources.fetch(config, since)
    except ValidationError as exc:
        return _finish_failed(load, ";".join(exc.messages), LoadStatus.FAILED)
    if not records:
        with transaction.atomic():
            Load.objects.filter(pk=load.pk).update(status=LoadStatus.LOADED, stage="完成", progress=1.0,
                                                   finished_at=timezone.now(), watermark_to=since,
                                                   message="来源没有新增数据,未生成新版本")
            DataSource.objects.filter(pk=config.pk).update(last_pulled_at=timezone.now())
            load.refresh_from_db()
            audit.record(actor, "ingest.load.finish", load, {"resource": resource.code, "rows_in": 0})
        return LoadResult.of(load)

    def advance() -> None:
        if mark not in (None, ""):
            DataSource.objects.filter(pk=config.pk).update(watermark_value=str(mark))
            Load.objects.filter(pk=load.pk).update(watermark_to=str(mark))
        DataSource.objects.filter(pk=config.pk).update(last_pulled_at=timezone.now())

    return execute_load(load, lambda specs: readers.records_to_source(records, specs, config.kind),
                        progress=progress, after_write=advance)


# ----------------------------------------------------------------------------- quality


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


# ----------------------------------------------------------------------------- monthly reporting duty


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    first = day.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def due_date(period: dt.date) -> dt.date:
    last = calendar.monthrange(period.year, period.month)[1]
    return (period.replace(day=last) + dt.timedelta(days=1)).replace(day=DUTY_DAY)


def parse_period(text: str) -> dt.date:
    try:
        return dt.datetime.strptime((text or "").strip()[:7], "%Y-%m").date()
    except ValueError as exc:
        raise ValidationError(f"月份格式应为 YYYY-MM:{text}", code="bad_period") from exc


def duty_resources() -> QuerySet[Resource]:
    return (Resource.objects.filter(provision=Provision.FILE, status=Status.PUBLISHED)
            .select_related("provider").order_by("provider__code", "code"))


def _record_monthly_from_load(load: Load) -> None:
    """A successful file load counts as the report of the month before it, if that month has none yet."""
    today = timezone.localdate(load.finished_at or timezone.now())
    period = previous_month(today)
    if MonthlyReport.objects.filter(resource=load.resource, period=period).exists():
        return
    MonthlyReport.objects.create(resource=load.resource, period=period, kind=ReportKind.DATA, load=load,
                                 due_date=due_date(period), submitted_at=load.finished_at or timezone.now(),
                                 submitted_by=load.created_by, note=f"第 {load.pk} 次归集")


def record_zero_report(actor, resource: Resource | str, period: dt.date | str, note: str = "", *,
                       when: dt.datetime | None = None) -> MonthlyReport:
    """零报告: the provider had no new data in ``period``."""
    resource = get_resource(resource)
    check_can_provide(actor, resource)
    period = parse_period(period) if isinstance(period, str) else month_start(period)
    now = when or timezone.now()
    if period >= month_start(timezone.localdate(now)):
        raise ValidationError("只能对已结束的月份报送零报告", code="period_not_ended")
    if resource.provision != Provision.FILE:
        raise ValidationError("只有以文件方式提供的资源需要月度报送", code="not_file_provision")
    existing = MonthlyReport.objects.filter(resource=resource, period=period).first()
    if existing is not None:
        raise ValidationError(f"{period:%Y年%m月} 已{existing.get_kind_display()},无需重复报送",
                              code="already_reported")
    with transaction.atomic():
        report = MonthlyReport.objects.create(resource=resource, period=period, kind=ReportKind.ZERO,
                                              due_date=due_date(period), submitted_at=now,
                                              submitted_by=_user_of(actor), note=note[:300])
        audit.record(actor, "ingest.zero_report", report, {"resource": resource.code, "period": f"{period:%Y-%m}"})
    return report


@dataclass
class DutyRow:
    resource: Resource
    period: dt.date
    due: dt.date
    report: MonthlyReport | None
    status: str        # ontime | zero | late_submitted | pending | overdue
    label: str

    @property
    def is_problem(self) -> bool:
        return self.status in ("overdue", "late_submitted")


DUTY_LABELS = {"ontime": "按时报送", "zero": "零报告", "late_submitted": "逾期报送", "pending": "待报送",
               "overdue": "逾期未报送"}


def duty_status(period: dt.date, today: dt.date | None = None, *, department=None) -> list[DutyRow]:
    today = today or timezone.localdate()
    period = month_start(period)
    due = due_date(period)
    resources = duty_resources()
    if department is not None:
        resources = resources.filter(provider=department)
    reports = {r.resource_id: r for r in MonthlyReport.objects.filter(period=period, resource__in=resources)}
    rows = []
    for resource in resources:
        report = reports.get(resource.pk)
        if report is None:
            status = "overdue" if today > due else "pending"
        elif report.is_late:
            status = "late_submitted"
        else:
            status = "zero" if report.kind == ReportKind.ZERO else "ontime"
        rows.append(DutyRow(resource, period, due, report, status, DUTY_LABELS[status]))
    return rows


def send_duty_reminders(today: dt.date | None = None) -> int:
    """Daily: remind providers whose last-month report is missing; tell the data bureau once when overdue."""
    today = today or timezone.localdate()
    period = previous_month(today)
    sent = 0
    for row in duty_status(period, today):
        if row.report is not None:
            continue
        overdue = row.status == "overdue"
        with transaction.atomic():
            reminder, created = DutyReminder.objects.get_or_create(resource=row.resource, period=period,
                                                                   sent_on=today, defaults={"overdue": overdue})
            if not created:
                continue
            link = _duty_link(period)
            if overdue:
                notify_department(row.resource.provider, "ingest.duty",
                                  f"{row.resource.name} {period:%Y年%m月} 数据逾期未报送",
                                  f"报送期限为 {row.due:%Y年%m月%d日},请尽快上传上月新增数据或报送零报告。", link)
                first = not DutyReminder.objects.filter(resource=row.resource, period=period, overdue=True) \
                    .exclude(pk=reminder.pk).exists()
                if first:
                    notify_data_bureau("ingest.duty", f"{row.resource.provider.name} 逾期未报送 {row.resource.name}",
                                       f"{period:%Y年%m月} 数据应于 {row.due:%m月%d日} 前报送。", link)
            else:
                notify_department(row.resource.provider, "ingest.duty",
                                  f"请于 {row.due:%m月%d日} 前报送 {row.resource.name} {period:%Y年%m月} 数据",
                                  "上月无新增数据的,请报送零报告。", link)
            audit.record("system", "ingest.duty.remind", row.resource,
                         {"period": f"{period:%Y-%m}", "overdue": overdue})
        sent += 1
    return sent


def _duty_link(period: dt.date) -> str:
    try:
        return reverse("ingest:duty") + f"?period={period:%Y-%m}"
    except Exception:  # URLs not loaded
        return ""


def pending_duty_items(principal: Principal) -> list:
    """Dashboard: the liaison's missing reports for last month."""
    from regshare.core.dashboard import PendingItem

    if principal.department is None or Role.DATA_LIAISON not in principal.roles:
        return []
    today = timezone.localdate()
    period = previous_month(today)
    items = []
    for row in duty_status(period, today, department=principal.department):
        if row.report is None:
            items.append(PendingItem("月度报送", f"{row.resource.name} {period:%Y年%m月} 数据待报送",
                                     _duty_link(period), row.due.isoformat(), row.status == "overdue"))
    return items


def pull_due_sources(now: dt.datetime | None = None) -> int:
    """Pull every enabled source whose last pull is older than its resource's update interval."""
    now = now or timezone.now()
    pulled = 0
    for config in DataSource.objects.filter(enabled=True).select_related("resource"):
        days = FREQUENCY_DAYS.get(config.resource.update_frequency)
        if days is None or config.resource.update_frequency == Frequency.REALTIME:
            days = 1 / 24
        if config.last_pulled_at and (now - config.last_pulled_at).total_seconds() < days * 86400 - 60:
            continue
        try:
            pull("system:scheduler", config.resource)
            pulled += 1
        except ValidationError:
            log.exception("scheduled pull of %s refused", config.resource.code)
    return pulled


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


def rows_reported(resource: Resource, first: dt.date, last: dt.date) -> int | None:
    """New rows a resource reported for the month ``first``..``last`` (政务数据共享信息审核表): 0 for a zero
    report, the rows of the load recorded as the month's report, else the rows of merge loads finished in the
    month; None when nothing tells."""
    report = MonthlyReport.objects.filter(resource=resource, period=month_start(first)).select_related("load").first()
    if report is not None:
        if report.kind == ReportKind.ZERO:
            return 0
        if report.load is not None:
            return report.load.rows_loaded
    loads = Load.objects.filter(resource=resource, status=LoadStatus.LOADED, mode=LoadMode.MERGE,
                                finished_at__date__gte=first, finished_at__date__lte=last)
    if not loads.exists():
        return None
    return sum(loads.values_list("rows_loaded", flat=True))
