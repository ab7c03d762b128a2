"""Table docking and interface pull (002 第九条): saved sources and their pulls."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from regshare.catalog.models import Frequency, Resource
from regshare.core import audit

from .. import readers, sources
from ..models import DataSource, Load, LoadMode, LoadStatus, SourceKind
from .access import check_can_provide, get_resource
from .loads import FREQUENCY_DAYS, LoadResult, Progress, _finish_failed, _new_load, execute_load

log = logging.getLogger(__name__)


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
