"""Sections that higher apps add to a lower app's page.

A lower app names its page (``"catalog.resource"``, ``"entities.entity"``) and renders whatever
``panels_for`` returns; a higher app registers a panel for that page in its ``AppConfig.ready``.
This keeps imports pointing down the layer table: the page never imports the app that fills it.
"""
from __future__ import annotations

from collections.abc import Callable
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
