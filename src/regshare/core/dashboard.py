"""Pending items on the dashboard. Domain apps register a provider that returns the user's items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from . import workdays
from .permissions import Principal, has_perm


@dataclass
class PendingItem:
    category: str
    title: str
    link: str
    deadline: str = ""
    overdue: bool = False


PendingProvider = Callable[[Principal], list[PendingItem]]
_PROVIDERS: list[PendingProvider] = []


def register_pending(provider: PendingProvider) -> PendingProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def pending_for(principal: Principal) -> list[PendingItem]:
    items: list[PendingItem] = []
    for provider in _PROVIDERS:
        items.extend(provider(principal))
    return sorted(items, key=lambda item: (not item.overdue, item.deadline or "9999"))


def calendar_warning(principal: Principal, today: dt.date | None = None) -> int | None:
    """The year whose holidays the platform admin must still confirm, shown on the admin's dashboard."""
    if not has_perm(principal, "calendar.edit"):
        return None
    return workdays.unconfirmed_next_year(today or timezone.localdate())
