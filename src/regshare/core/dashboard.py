"""The dashboard: its to-do list is ``workflow.pending_for`` (objects waiting for a transition, plus the
registered reminders); its charts are the figures that higher apps register here; the admin's calendar
warning is computed here.

A figure is data, not a picture: a title, categories and named series of numbers. The page hands its
``spec`` to ``static/regshare/figures.js`` through ``json_script`` (the Content-Security-Policy forbids
inline script) and prints the same numbers as a table for readers without the chart.

Boards: ``"dashboard"`` (every role's 工作台) and ``"cockpit"`` (the data bureau's 驾驶舱). Core cannot import the apps that know the numbers, so they
register providers here in their ``AppConfig.ready()``::

    dashboard.register_figure("dashboard", my_figure, order=20)

``my_figure(principal, today)`` returns a :class:`Figure`, a list of them, or None when it has nothing
for this principal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from . import workdays
from .permissions import Principal, has_perm
from .workflow import PendingItem, PendingProvider, pending_for, register_pending

__all__ = ["BOARDS", "Figure", "FigureProvider", "PendingItem", "PendingProvider", "Series", "Stat",
           "calendar_warning", "figures_for", "pending_for", "register_figure", "register_pending",
           "unregister_figure"]

BOARDS = ("dashboard", "cockpit")
CHART_KINDS = ("bar", "stacked", "line", "pie", "hbar")


@dataclass(frozen=True)
class Series:
    name: str
    data: Sequence[float | int | None]
    # "line" draws this series as a line over bars (a limit, a rate next to counts).
    kind: str = ""
    # 1: measured on the second value axis (on the right, named by ``Figure.second_unit``): a count next to a score.
    axis: int = 0


@dataclass(frozen=True)
class Stat:
    """One headline number of a board (资源总数, 本月调用…)."""

    label: str
    value: int | float | str
    unit: str = ""
    link: str = ""


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    kind: str
    categories: Sequence[str]
    series: Sequence[Series]
    unit: str = ""
    note: str = ""
    link: str = ""
    # A horizontal reference line with its label (the 2+5 working-day limits, a target rate).
    marks: Sequence[tuple[str, float]] = field(default_factory=tuple)
    second_unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")

    @property
    def data_id(self) -> str:
        return f"figure-data-{self.key}"

    @property
    def is_empty(self) -> bool:
        return not any(value for s in self.series for value in s.data)

    def spec(self) -> dict:
        """What figures.js draws."""
        return {"kind": self.kind, "unit": self.unit, "second_unit": self.second_unit,
                "categories": list(self.categories),
                "series": [{"name": s.name, "data": list(s.data), "kind": s.kind, "axis": s.axis} for s in self.series],
                "marks": [{"name": name, "value": value} for name, value in self.marks]}

    def table(self) -> list[tuple[str, list]]:
        """The same numbers as rows (category, one value per series), for the table under the chart."""
        return [(category, [s.data[i] if i < len(s.data) else None for s in self.series])
                for i, category in enumerate(self.categories)]


FigureProvider = Callable[[Principal, dt.date], "Figure | Sequence[Figure | Stat] | Stat | None"]
_FIGURES: dict[str, list[tuple[int, FigureProvider]]] = {board: [] for board in BOARDS}


def register_figure(board: str, provider: FigureProvider, *, order: int = 100) -> FigureProvider:
    """Add ``provider`` to ``board``; registering the same function twice keeps one entry."""
    if board not in _FIGURES:
        raise ValueError(f"unknown board {board!r}; boards: {', '.join(BOARDS)}")
    entries = _FIGURES[board]
    if all(existing is not provider for _, existing in entries):
        entries.append((order, provider))
        entries.sort(key=lambda entry: entry[0])
    return provider


def unregister_figure(board: str, provider: FigureProvider) -> None:
    _FIGURES[board] = [(order, fn) for order, fn in _FIGURES.get(board, []) if fn is not provider]


@dataclass
class Board:
    stats: list[Stat]
    figures: list[Figure]

    def __bool__(self) -> bool:
        return bool(self.stats or self.figures)


def figures_for(board: str, principal: Principal, today: dt.date | None = None) -> Board:
    """Every figure and headline number the board's providers have for this principal, in order."""
    today = today or timezone.localdate()
    stats: list[Stat] = []
    figures: list[Figure] = []
    for _, provider in _FIGURES.get(board, []):
        produced = provider(principal, today)
        if produced is None:
            continue
        for item in produced if isinstance(produced, list | tuple) else [produced]:
            (stats if isinstance(item, Stat) else figures).append(item)
    return Board(stats, figures)


def calendar_warning(principal: Principal, today: dt.date | None = None) -> int | None:
    """The year whose holidays the platform admin must still confirm, shown on the admin's dashboard."""
    if not has_perm(principal, "calendar.edit"):
        return None
    return workdays.unconfirmed_next_year(today or timezone.localdate())
