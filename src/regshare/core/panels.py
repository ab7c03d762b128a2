"""Sections that higher apps add to a lower app's page.

A lower app names its page (``"catalog.resource"``, ``"entities.entity"``) and renders whatever
``panels_for`` returns; a higher app registers a panel for that page in its ``AppConfig.ready``.
This keeps imports pointing down the layer table: the page never imports the app that fills it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from regshare.core.permissions import Principal

Panel = Callable[[Principal, Any], "tuple[str, str] | None"]
_PANELS: dict[str, list[tuple[int, Panel]]] = {}


def register(page: str, fn: Panel, *, order: int = 100) -> Panel:
    """Add ``fn`` to ``page``. ``fn(principal, obj)`` returns ``(title, html)`` with html already
    rendered and escaped (``render_to_string``), or None when it has nothing for this principal."""
    entries = _PANELS.setdefault(page, [])
    if all(existing is not fn for _, existing in entries):
        entries.append((order, fn))
        entries.sort(key=lambda entry: entry[0])
    return fn


def panels_for(page: str, principal: Principal, obj: Any) -> list[tuple[str, str]]:
    rendered = []
    for _, fn in _PANELS.get(page, []):
        panel = fn(principal, obj)
        if panel:
            rendered.append(panel)
    return rendered


def unregister(page: str, fn: Panel) -> None:
    _PANELS[page] = [(order, existing) for order, existing in _PANELS.get(page, []) if existing is not fn]


# ---------------------------------------------------------------- data contributions

DataSource = Callable[[Principal, Any], "dict[str, Any]"]
_DATA: dict[str, list[DataSource]] = {}


def register_data(page: str, fn: DataSource) -> DataSource:
    """Add ``fn`` to the data of ``page`` (the API and report forms of a page, its timeline).
    ``fn(principal, obj)`` returns a dict; the dicts of every source are merged, lists under the same
    key concatenated (each app adds its events to ``"timeline"``)."""
    sources = _DATA.setdefault(page, [])
    if all(existing is not fn for existing in sources):
        sources.append(fn)
    return fn


def data_for(page: str, principal: Principal, obj: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for fn in _DATA.get(page, []):
        for key, value in fn(principal, obj).items():
            if isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = merged[key] + value
            else:
                merged[key] = value
    return merged


def unregister_data(page: str, fn: DataSource) -> None:
    _DATA[page] = [existing for existing in _DATA.get(page, []) if existing is not fn]


# ---------------------------------------------------------------- list columns

@dataclass(frozen=True)
class Column:
    """A column a higher app adds to a lower app's list (page and API).

    ``values(principal, objects)`` returns ``{pk: value}`` for one page of objects in one query;
    ``display`` turns a value into what the page shows (the API returns the value itself)."""

    key: str
    title: str
    values: Callable[[Principal, list], dict[Any, Any]]
    display: Callable[[Any], str] = str
    empty: str = ""


_COLUMNS: dict[str, list[Column]] = {}


def register_column(page: str, column: Column) -> Column:
    columns = _COLUMNS.setdefault(page, [])
    if all(existing.key != column.key for existing in columns):
        columns.append(column)
    return column


def columns_for(page: str) -> list[Column]:
    return list(_COLUMNS.get(page, []))


def column_values(page: str, principal: Principal, objects: list) -> dict[str, dict[Any, Any]]:
    """``{column key: {pk: value}}`` for one page of ``objects``."""
    return {column.key: column.values(principal, objects) for column in _COLUMNS.get(page, [])}


def column_cells(page: str, principal: Principal, objects: list) -> list[tuple[Any, list[str]]]:
    """Each object with the displayed cells of the registered columns, for a page's table."""
    columns = _COLUMNS.get(page, [])
    values = [column.values(principal, objects) for column in columns]
    return [(obj, [column.display(found[obj.pk]) if obj.pk in found else column.empty
                   for column, found in zip(columns, values, strict=True)]) for obj in objects]
