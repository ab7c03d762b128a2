"""The dashboard: its to-do list is ``workflow.pending_for`` (objects waiting for a transition, plus the
registered reminders); the admin's calendar warning is computed here."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import workdays
from .permissions import Principal, has_perm
from .workflow import PendingItem, PendingProvider, pending_for, register_pending

__all__ = ["PendingItem", "PendingProvider", "calendar_warning", "pending_for", "register_pending"]


def calendar_warning(principal: Principal, today: dt.date | None = None) -> int | None:
    """The year whose holidays the platform admin must still confirm, shown on the admin's dashboard."""
    if not has_perm(principal, "calendar.edit"):
        return None
    return workdays.unconfirmed_next_year(today or timezone.localdate())
