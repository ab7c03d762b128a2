"""Chinese working days: statutory holidays and adjusted workdays (调休).

chinesecalendar is the source; the platform admin's override table wins over it; a year that
neither knows raises ``CalendarYearUnknown`` instead of guessing. Every deadline in every app is
computed here, so an unknown year is refused the same way everywhere.

A year the library does not know counts only once the admin has confirmed it (``CalendarYear``):
its imported 放假/调休 dates are a draft until then and answer nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar
from django.core.exceptions import ValidationError

from .models import CalendarYear, WorkdayOverride

# From this day of the year on, the admin is warned that next year's schedule is not confirmed yet
# (the State Council usually publishes it in November).
WARN_FROM_MONTH_DAY = (11, 1)


class CalendarYearUnknown(ValidationError, ValueError):
    """A working-day count reached a year whose holidays are neither known nor confirmed.

    A ``ValidationError`` with code ``calendar_year_unknown``, so the API and the pages answer it as
    bad input (400 with a Chinese message), never as a server error.
    """

    code_name = "calendar_year_unknown"

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"{year}年的法定节假日和调休安排尚未确认,无法计算{year}年的工作日和期限。"
            f"请平台管理员在「系统管理 › 工作日日历」页面导入国务院办公厅公布的{year}年放假和调休安排,"
            f"核对后确认该年(或由运维人员升级平台内置的节假日库)。",
            code=self.code_name,
        )

    def __str__(self) -> str:
        return self.message


def _known_years() -> tuple[int, int]:
    holidays = chinese_calendar.holidays
    years = sorted({d.year for d in holidays})
    return years[0], years[-1]


_LIBRARY_FIRST, _LIBRARY_LAST = _known_years()


class _Calendar:
    """A snapshot of the override table for one computation, so a long count does one query."""

    def __init__(self) -> None:
        self.overrides = dict(WorkdayOverride.objects.values_list("date", "is_workday"))
        self.manual_years = set(CalendarYear.objects.values_list("year", flat=True))

    def is_workday(self, day: dt.date) -> bool:
        in_library = _LIBRARY_FIRST <= day.year <= _LIBRARY_LAST
        if not in_library and day.year not in self.manual_years:
            raise CalendarYearUnknown(day.year)  # imported dates of an unconfirmed year are only a draft
        if day in self.overrides:
            return self.overrides[day]
        if in_library:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5


def is_workday(day: dt.date) -> bool:
    return _Calendar().is_workday(day)


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The n-th working day after ``start`` (``start`` itself is not counted); n ≥ 0."""
    if n < 0:
        raise ValueError("工作日天数不能为负数")
    calendar = _Calendar()
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: how many working days have passed from start to end.

    Negative when end is before start, so "overdue by N working days" reads naturally.
    """
    return _between(_Calendar(), start, end)


def workdays_between_each(spans: Iterable[tuple[dt.date, dt.date]]) -> list[int]:
    """``workdays_between`` of many (start, end) pairs with one read of the override table (statistics)."""
    calendar = _Calendar()
    return [_between(calendar, start, end) for start, end in spans]


def _between(calendar: _Calendar, start: dt.date, end: dt.date) -> int:
    if end < start:
        return -_between(calendar, end, start)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            count += 1
    return count


def library_years() -> tuple[int, int]:
    return _LIBRARY_FIRST, _LIBRARY_LAST


def in_library(year: int) -> bool:
    return _LIBRARY_FIRST <= year <= _LIBRARY_LAST


def year_known(year: int) -> bool:
    """Deadlines may run through ``year``: the library knows it or the admin has confirmed it."""
    return in_library(year) or CalendarYear.objects.filter(year=year).exists()


def unconfirmed_next_year(today: dt.date) -> int | None:
    """Next year, when ``today`` is past the warning day and next year's schedule is not confirmed."""
    if (today.month, today.day) < WARN_FROM_MONTH_DAY:
        return None
    year = today.year + 1
    return None if year_known(year) else year


def draft_years() -> list[dict]:
    """Years with imported 放假/调休 dates that nobody has confirmed yet, with their counts, for review."""
    from django.db.models import Count
    from django.db.models.functions import ExtractYear

    confirmed = set(CalendarYear.objects.values_list("year", flat=True))
    drafts: dict[int, dict] = {}
    rows = (WorkdayOverride.objects.annotate(year=ExtractYear("date")).values("year", "is_workday")
            .annotate(n=Count("id")).order_by("year"))
    for row in rows:
        if in_library(row["year"]) or row["year"] in confirmed:
            continue
        entry = drafts.setdefault(row["year"], {"year": row["year"], "holidays": 0, "workdays": 0})
        entry["workdays" if row["is_workday"] else "holidays"] += row["n"]
    return list(drafts.values())
