"""Rules of credit supervision: records, 双公示, repair, lists, joint measures and credit checks.

One module per part (``records``, ``repair``, ``lists``, ``checks``, ``entity_views``, ``public``),
every public name re-exported here: callers use ``credit.services`` only.
"""

from __future__ import annotations

from .checks import (
    MEASURE_CACHE_SECONDS,
    check,
    check_statistics,
    clear_measure_cache,
    measures_for,
    parse_scenario,
)
from .entity_views import entity_counts, list_entries, records_by_department, risk_of, timeline_events
from .lists import (
    ANNUAL_REPORT_RESOURCE,
    RESTRICTING_LISTS,
    active_entries,
    add_to_list,
    apply_annual_report_rule,
    apply_list_rules,
    remove_from_list,
)
from .public import list_query, money, public_lists, public_records, record_query
from .records import (
    LINK_SOURCE,
    PUBLISHED_KINDS,
    build_record,
    bulk_create_records,
    create_record,
    expire_publicity,
    is_late,
    late_publications,
    link_unlinked,
    on_link_decided,
    publicity_plan,
    publicity_summary,
    publish,
)
from .repair import apply_repair, decide_repair

__all__ = [
    "ANNUAL_REPORT_RESOURCE",
    "LINK_SOURCE",
    "MEASURE_CACHE_SECONDS",
    "PUBLISHED_KINDS",
    "RESTRICTING_LISTS",
    "active_entries",
    "add_to_list",
    "apply_annual_report_rule",
    "apply_list_rules",
    "apply_repair",
    "build_record",
    "bulk_create_records",
    "check",
    "check_statistics",
    "clear_measure_cache",
    "create_record",
    "decide_repair",
    "entity_counts",
    "expire_publicity",
    "is_late",
    "late_publications",
    "link_unlinked",
    "list_entries",
    "list_query",
    "measures_for",
    "money",
    "on_link_decided",
    "parse_scenario",
    "public_lists",
    "public_records",
    "publicity_plan",
    "publicity_summary",
    "publish",
    "record_query",
    "records_by_department",
    "remove_from_list",
    "risk_of",
    "timeline_events",
]
