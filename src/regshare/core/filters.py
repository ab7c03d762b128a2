"""Filter declarations of the lists: one per list, read by its page (``request.GET``) and its API list
(the query parameters), so both filter alike and refuse alike.

A list model's queryset declares ``filters = Filters(Search("q", "number", "resource__name"),
Choice("status", ApplicationStatus))``; ``Model.objects.visible_to(principal).filtered(params)`` applies them.
A value outside a choice matches nothing (never reaches the database: NUL breaks PostgreSQL), a search
term loses its NUL characters and surrounding spaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models


class Search:
    """A free-text term matched (``icontains``) against any of ``fields``."""

    def __init__(self, name: str, *fields: str) -> None:
        self.name, self.fields = name, fields

    def clean(self, raw: Any) -> str:
        return str(raw or "").replace("\x00", "").strip()

    def apply(self, queryset: models.QuerySet, value: str) -> models.QuerySet:
        condition = models.Q()
        for field in self.fields:
            condition |= models.Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class Choice:
    """One of the values of ``choices`` (a ``TextChoices``) on ``field`` (default: the filter's name)."""

    def __init__(self, name: str, choices: type[models.TextChoices], field: str = "") -> None:
        self.name, self.choices, self.field = name, choices, field or name

    def clean(self, raw: Any) -> str:
        return str(raw or "").strip()

    def apply(self, queryset: models.QuerySet, value: str) -> models.QuerySet:
        if value not in self.choices.values:
            return queryset.none()
        return queryset.filter(**{self.field: value})


class Filters:
    def __init__(self, *filters: Search | Choice | Flag | Exact) -> None:
        self.filters = filters

    def values(self, params: Mapping[str, Any]) -> dict[str, str]:
        """The cleaned value of every filter (``""`` when not given), for the page's form."""
        return {f.name: f.clean(params.get(f.name)) for f in self.filters}

    def apply(self, queryset: models.QuerySet, params: Mapping[str, Any]) -> models.QuerySet:
        for f in self.filters:
            value = f.clean(params.get(f.name))
            if value:
                queryset = f.apply(queryset, value)
        return queryset

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """``{name: [(value, label), …]}`` of the choice filters, for the page's selects."""
        return {f.name: list(f.choices.choices) for f in self.filters if isinstance(f, Choice)}


class Flag:
    """A yes/no filter (``1``/``true``): when set, ``field`` must be true (e.g. ``fulfilled_at__isnull``)."""

    def __init__(self, name: str, field: str) -> None:
        self.name, self.field = name, field

    def clean(self, raw: Any) -> str:
        return "1" if str(raw or "").strip().lower() in ("1", "true", "on", "yes") else ""

    def apply(self, queryset: models.QuerySet, value: str) -> models.QuerySet:
        return queryset.filter(**{self.field: True})


class Exact:
    """An exact value of ``field`` (a resource code, a department code)."""

    def __init__(self, name: str, field: str) -> None:
        self.name, self.field = name, field

    def clean(self, raw: Any) -> str:
        return str(raw or "").replace("\x00", "").strip()

    def apply(self, queryset: models.QuerySet, value: str) -> models.QuerySet:
        return queryset.filter(**{self.field: value})
