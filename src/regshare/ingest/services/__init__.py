"""Provision rules: loads from files, database tables and HTTP interfaces; quality; the monthly duty.

Every load goes: ``Load`` row (pending) → pipeline (DuckDB) → Delta commit (lake) → ``Load`` and
``QualityReport`` updated with the audit record in one transaction → provider notified (质量反馈)
→ ``lake.hooks`` fired. A load that is rejected or fails never reaches the Delta commit, so the
previous version stays current and readable.

One module per part (``access``, ``storage``, ``loads``, ``pulls``, ``quality``, ``duty``), every public
name re-exported here: callers use ``ingest.services`` only.
"""

from __future__ import annotations

from .. import sources
from .access import (
    check_can_provide,
    check_can_view_load,
    field_specs,
    get_resource,
    resources_providable_by,
    visible_resource,
)
from .duty import (
    DUTY_DAY,
    DUTY_LABELS,
    DutyRow,
    due_date,
    duty_resources,
    duty_status,
    month_start,
    parse_period,
    pending_duty_items,
    previous_month,
    record_zero_report,
    rows_reported,
    send_duty_reminders,
)
from .loads import (
    FREQUENCY_DAYS,
    GRACE_DAYS,
    LoadResult,
    Progress,
    add_attachment,
    execute_load,
    ingest_file,
    load_link,
    resource_timeliness,
    run_stored_load,
    start_upload,
)
from .pulls import pull, pull_due_sources, save_source
from .quality import (
    REJECT_COLUMNS,
    catalog_quality_panel,
    quality_series,
    rejects_download,
    rejects_table,
    resource_quality,
)
from .storage import storage_dir, store_upload

__all__ = [
    "DUTY_DAY",
    "DUTY_LABELS",
    "DutyRow",
    "FREQUENCY_DAYS",
    "GRACE_DAYS",
    "LoadResult",
    "Progress",
    "REJECT_COLUMNS",
    "add_attachment",
    "catalog_quality_panel",
    "check_can_provide",
    "check_can_view_load",
    "due_date",
    "duty_resources",
    "duty_status",
    "execute_load",
    "field_specs",
    "get_resource",
    "ingest_file",
    "load_link",
    "month_start",
    "parse_period",
    "pending_duty_items",
    "previous_month",
    "pull",
    "pull_due_sources",
    "quality_series",
    "record_zero_report",
    "rejects_download",
    "rejects_table",
    "resource_quality",
    "resource_timeliness",
    "resources_providable_by",
    "rows_reported",
    "run_stored_load",
    "save_source",
    "send_duty_reminders",
    "sources",
    "start_upload",
    "storage_dir",
    "store_upload",
    "visible_resource",
]
