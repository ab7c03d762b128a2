"""Chinese working days: statutory holidays and adjusted workdays (调休).

chinesecalendar is the source; the platform admin's override table wins over it; a year that
neither knows raises ``CalendarYearUnknown`` instead of guessing.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from .models import CalendarYear, WorkdayOverride


class CalendarYearUnknown(ValueError):
    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"{year}年的法定节假日和调休安排尚未载入,无法计算工作日。"
            f"请平台管理员在「工作日日历」页面录入{year}年的放假和调休日期并确认该年已录入"
            f"(或执行 regshare workdays year-add {year}),或升级 chinesecalendar。"
        )


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
        if day in self.overrides:
            return self.overrides[day]
        if _LIBRARY_FIRST <= day.year <= _LIBRARY_LAST:
            return chinese_calendar.is_workday(day)
        if day.year in self.manual_years:
            return day.weekday() < 5
        raise CalendarYearUnknown(day.year)


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
    if end < start:
        return -workdays_between(end, start)
    calendar = _Calendar()
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            count += 1
    return count


def library_years() -> tuple[int, int]:
    return _LIBRARY_FIRST, _LIBRARY_LAST
