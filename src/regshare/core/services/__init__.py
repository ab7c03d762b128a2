"""Core rules: sign-in and lock-out, API tokens, notifications, the calendar override table, people.

One module per part (``signin``, ``tokens``, ``notifications``, ``calendar``, ``people``), every public
name re-exported here: callers use ``core.services`` only.
"""

from __future__ import annotations

from .calendar import (
    CALENDAR_FILE_MAX_BYTES,
    CALENDAR_KINDS,
    CALENDAR_MAX_LINES,
    ScheduleLine,
    check_calendar_year_entered,
    declare_calendar_year,
    delete_workday_override,
    import_calendar_schedule,
    parse_calendar_schedule,
    set_workday_override,
    warn_unconfirmed_next_year,
)
from .notifications import (
    inbox,
    inbox_of,
    mark_read,
    mark_read_by,
    notify_data_bureau,
    notify_department,
    notify_user,
    unread_count,
)
from .people import create_user, set_roles, unlock_user, users_with_role
from .signin import LoginOutcome, attempt_login, record_logout
from .tokens import (
    TOKEN_PREFIX,
    TOKEN_USE_AUDIT_INTERVAL,
    IssuedToken,
    authenticate_token,
    forget_tokens,
    issue_token,
    revoke_token,
)

__all__ = [
    "CALENDAR_FILE_MAX_BYTES",
    "CALENDAR_KINDS",
    "CALENDAR_MAX_LINES",
    "IssuedToken",
    "LoginOutcome",
    "ScheduleLine",
    "TOKEN_PREFIX",
    "TOKEN_USE_AUDIT_INTERVAL",
    "attempt_login",
    "authenticate_token",
    "check_calendar_year_entered",
    "create_user",
    "declare_calendar_year",
    "delete_workday_override",
    "forget_tokens",
    "import_calendar_schedule",
    "inbox",
    "inbox_of",
    "issue_token",
    "mark_read",
    "mark_read_by",
    "notify_data_bureau",
    "notify_department",
    "notify_user",
    "parse_calendar_schedule",
    "record_logout",
    "revoke_token",
    "set_roles",
    "set_workday_override",
    "unlock_user",
    "unread_count",
    "users_with_role",
    "warn_unconfirmed_next_year",
]
