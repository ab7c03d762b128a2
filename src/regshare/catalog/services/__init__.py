"""Catalog rules: resources, fields, versions, review and publication, retirement, update duties, demands, search.

Every state change goes through a function here; it checks permission, applies the rules of 002
第八、十、十八条, and writes the change and its audit record in one transaction. One module per part
(``consumers``, ``access``, ``validation``, ``resources``, ``duties``, ``demands``, ``search``), every
public name re-exported here: callers use ``catalog.services`` only.
"""

from __future__ import annotations

from .access import can_edit, get_visible, is_bureau, sees_all
from .consumers import (
    RESOURCE_PAGE,
    ConsumerSource,
    consumers_of,
    detail_panels,
    register_consumer_source,
    register_detail_panel,
    schema_of,
)
from .demands import (
    DEMAND_TEXT,
    close_demand,
    create_demand,
    demand_closed,
    demand_matched,
    match_demand,
    notify_demand_matched,
    suggest_resources,
)
from .duties import UPDATE_DUTY_WORKDAYS, flag_overdue_obligations, fulfil_obligation, record_change_of_duty
from .resources import (
    TRANSITION_DAYS,
    complete_retirements,
    create_resource,
    delete_resource,
    publish_resource,
    published,
    reject_resource,
    rejected,
    retire_date,
    retire_resource,
    retired,
    retirement_announced,
    retirement_completed,
    submit_resource,
    submitted,
    update_resource,
)
from .search import FILTER_CHOICES, ResultList, clean_filters, search_resources
from .validation import (
    CHOICE_FIELDS,
    CODE_RE,
    FIELD_CODE_RE,
    SCHEMA_KEYS,
    TEXT_FIELDS,
    check_sharing_rules,
    clean_schema,
    department_prefix,
    metadata_snapshot,
    next_code,
    schema_snapshot,
)

__all__ = [
    "CHOICE_FIELDS",
    "CODE_RE",
    "ConsumerSource",
    "DEMAND_TEXT",
    "FIELD_CODE_RE",
    "FILTER_CHOICES",
    "RESOURCE_PAGE",
    "ResultList",
    "SCHEMA_KEYS",
    "TEXT_FIELDS",
    "TRANSITION_DAYS",
    "UPDATE_DUTY_WORKDAYS",
    "can_edit",
    "check_sharing_rules",
    "clean_filters",
    "clean_schema",
    "close_demand",
    "complete_retirements",
    "consumers_of",
    "create_demand",
    "create_resource",
    "delete_resource",
    "demand_closed",
    "demand_matched",
    "department_prefix",
    "detail_panels",
    "flag_overdue_obligations",
    "fulfil_obligation",
    "get_visible",
    "is_bureau",
    "match_demand",
    "metadata_snapshot",
    "next_code",
    "notify_demand_matched",
    "publish_resource",
    "published",
    "record_change_of_duty",
    "register_consumer_source",
    "register_detail_panel",
    "reject_resource",
    "rejected",
    "retire_date",
    "retire_resource",
    "retired",
    "retirement_announced",
    "retirement_completed",
    "schema_of",
    "schema_snapshot",
    "search_resources",
    "sees_all",
    "submit_resource",
    "submitted",
    "suggest_resources",
    "update_resource",
]
