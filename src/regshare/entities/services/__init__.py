"""Rules of the entity master: rebuild from SCJG-0001, link records, review candidates, profiles.

One module per part (``master``, ``increments``, ``linking``, ``resources``, ``profiles``), every public
name re-exported here: callers use ``entities.services`` only.
"""

from __future__ import annotations

from .increments import (
    LINK_CONSUMER,
    MASTER_CONSUMER,
    READ_BATCH,
    Increment,
    mark_applied,
    master_for_linkage,
    plan,
    rebuild_master,
)
from .linking import (
    LINK_REVIEW,
    LinkListener,
    LinkOutcome,
    decide_candidate,
    link_records,
    on_link_decided,
    review_queue,
    thresholds,
)
from .master import BATCH, MASTER_COLUMNS, MASTER_RESOURCE, prepare_master, upsert_master
from .profiles import (
    ENTITY_API,
    ENTITY_LIST,
    ENTITY_PAGE,
    api_sections,
    detail_panels,
    get_entity,
    linked_records,
    mask_identity,
    parse_uscc,
    profile,
    registration_event,
    search,
)
from .resources import (
    ResourceColumns,
    link_resource,
    linkable_resources,
    on_version_written,
    process_version,
    resource_columns,
)

__all__ = [
    "LINK_REVIEW",
    "BATCH",
    "ENTITY_API",
    "ENTITY_LIST",
    "ENTITY_PAGE",
    "Increment",
    "LINK_CONSUMER",
    "LinkListener",
    "LinkOutcome",
    "MASTER_COLUMNS",
    "MASTER_CONSUMER",
    "MASTER_RESOURCE",
    "READ_BATCH",
    "ResourceColumns",
    "api_sections",
    "decide_candidate",
    "detail_panels",
    "get_entity",
    "link_records",
    "link_resource",
    "linkable_resources",
    "linked_records",
    "mark_applied",
    "mask_identity",
    "master_for_linkage",
    "on_link_decided",
    "on_version_written",
    "parse_uscc",
    "plan",
    "prepare_master",
    "process_version",
    "profile",
    "rebuild_master",
    "registration_event",
    "resource_columns",
    "review_queue",
    "search",
    "thresholds",
    "upsert_master",
]
