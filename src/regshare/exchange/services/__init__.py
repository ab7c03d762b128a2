"""The sharing workflow (SPEC §3; seed 002 第十四至十八条, 第二十二条): applications, reviews with
working-day deadlines, negotiation and coordination, grants, grant-bound tokens, revocation,
destruction records, and who may see a resource's rows (``access_scope``).

One module per part: ``common`` (deadlines from settings, shared helpers), ``applications``,
``overdue``, ``grants`` and ``scope``. Data-plane services (queries, downloads, receipts, push, proxy,
offline packages, corrections) live in ``access.py``, ``push.py``, ``proxy.py``, ``offline.py`` and
``corrections.py``. All are re-exported here, so callers use ``exchange.services`` only.
"""

from __future__ import annotations

from regshare.core.clock import today

from ..access import QueryResult, access_log, download, get_receipt, query_rows
from ..corrections import answer_correction, report_correction
from ..offline import build_offline_package, open_offline_package, record_handover
from ..proxy import proxy_call, register_proxy
from ..push import deliver, replay, retry_due_deliveries, subscribe, unsubscribe
from .applications import (
    SELF_REVIEW_MESSAGE,
    ApplicationInput,
    can_act_on,
    conclude_negotiation,
    coordinate,
    delegate_review,
    end_delegation,
    field_codes,
    review,
    review_queue,
    start_negotiation,
    submit_application,
    withdraw,
)
from .common import (
    APPROVAL_SUFFIXES,
    MAX_APPROVAL_BYTES,
    coordination_days,
    correction_days,
    data_bureau,
    grant_is_live,
    negotiation_days,
    platform_review_days,
    provider_review_days,
)
from .grants import (
    ChannelCut,
    ChannelGuard,
    check_channel_open,
    cut_channel,
    expire_grants,
    issue_grant_token,
    open_dedicated_grant,
    record_destruction,
    register_channel_guard,
    revoke_grant,
)
from .overdue import flag_overdue
from .scope import META_TTL, AccessScope, access_scope, consumers_of, forget_metadata, resource_by_code

__all__ = [
    "APPROVAL_SUFFIXES",
    "AccessScope",
    "ApplicationInput",
    "ChannelCut",
    "ChannelGuard",
    "MAX_APPROVAL_BYTES",
    "META_TTL",
    "QueryResult",
    "SELF_REVIEW_MESSAGE",
    "access_log",
    "access_scope",
    "answer_correction",
    "build_offline_package",
    "can_act_on",
    "check_channel_open",
    "conclude_negotiation",
    "consumers_of",
    "coordinate",
    "coordination_days",
    "correction_days",
    "cut_channel",
    "data_bureau",
    "delegate_review",
    "deliver",
    "download",
    "end_delegation",
    "expire_grants",
    "field_codes",
    "flag_overdue",
    "forget_metadata",
    "get_receipt",
    "grant_is_live",
    "issue_grant_token",
    "negotiation_days",
    "open_dedicated_grant",
    "open_offline_package",
    "platform_review_days",
    "provider_review_days",
    "proxy_call",
    "query_rows",
    "record_destruction",
    "record_handover",
    "register_channel_guard",
    "register_proxy",
    "replay",
    "report_correction",
    "resource_by_code",
    "retry_due_deliveries",
    "review",
    "review_queue",
    "revoke_grant",
    "start_negotiation",
    "submit_application",
    "subscribe",
    "today",
    "unsubscribe",
    "withdraw",
]
