"""Loads from files: the ``Load`` row, the pipeline, the Delta commit, quality feedback and timeliness."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from regshare.catalog.models import Frequency, Provision, Resource
from regshare.core import audit, uploads
from regshare.core.services import notify_department
from regshare.lake import hooks, tables

from .. import pipeline, readers
from ..models import Load, LoadAttachment, LoadMode, LoadStatus, QualityReport, SourceKind
from ..rules import FieldSpec
from .access import _user_of, check_can_provide, field_specs, get_resource
from .duty import _record_monthly_from_load
from .storage import _safe_name, storage_dir, store_upload

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]

# Days between updates each frequency promises, with the grace before a load counts as late.
FREQUENCY_DAYS = {Frequency.REALTIME: 1, Frequency.DAILY: 1, Frequency.WEEKLY: 7, Frequency.MONTHLY: 31,
                  Frequency.QUARTERLY: 92, Frequency.YEARLY: 366}
GRACE_DAYS = {Frequency.REALTIME: 1, Frequency.DAILY: 1, Frequency.WEEKLY: 2, Frequency.MONTHLY: 5,
              Frequency.QUARTERLY: 10, Frequency.YEARLY: 31}


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
    from ..tasks import run_file_load

    run_file_load(load.pk)
    return load


def run_stored_load(load_id: int) -> LoadResult:
    """The background half of ``start_upload``."""
    load = Load.objects.select_related("resource", "department", "created_by").get(pk=load_id)
    if load.is_finished:
        return LoadResult.of(load)
    path = Path(load.stored_path)
    return execute_load(load, lambda specs: readers.open_file(path, specs))
