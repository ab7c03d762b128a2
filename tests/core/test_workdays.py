import datetime as dt

import pytest

from regshare.core import workdays
from regshare.core.models import CalendarYear, WorkdayOverride

D = dt.date


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 9, 30), 2, D(2026, 10, 9)),  # National Day week is skipped
        (D(2026, 9, 30), 0, D(2026, 9, 30)),
        (D(2026, 11, 20), 1, D(2026, 11, 23)),  # Friday + 1 = Monday
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # 2026-02-14 is an adjusted Saturday workday (调休)
    ],
)
def test_add_workdays(db, start, n, expected):
    assert workdays.add_workdays(start, n) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [(D(2026, 10, 10), True), (D(2026, 10, 1), False), (D(2026, 11, 21), False), (D(2026, 11, 23), True)],
)
def test_is_workday(db, day, expected):
    assert workdays.is_workday(day) is expected


def test_workdays_between_is_inverse_of_add(db):
    start = D(2026, 9, 25)
    for n in range(0, 15):
        assert workdays.workdays_between(start, workdays.add_workdays(start, n)) == n
    assert workdays.workdays_between(D(2026, 10, 9), D(2026, 9, 30)) == -2


def test_override_wins_over_library(db):
    WorkdayOverride.objects.create(date=D(2026, 11, 23), is_workday=False, note="防汛临时休息")
    WorkdayOverride.objects.create(date=D(2026, 11, 22), is_workday=True, note="调休上班")
    assert not workdays.is_workday(D(2026, 11, 23))
    assert workdays.is_workday(D(2026, 11, 22))
    assert workdays.add_workdays(D(2026, 11, 21), 1) == D(2026, 11, 22)


def test_unknown_year_raises_with_year_and_remedy(db):
    with pytest.raises(workdays.CalendarYearUnknown) as info:
        workdays.add_workdays(D(2026, 12, 28), 10)
    assert info.value.year == 2027
    assert "2027" in str(info.value) and "录入" in str(info.value)


def test_declared_year_uses_weekdays_plus_overrides(db):
    CalendarYear.objects.create(year=2027, note="国办发明电〔2026〕X号")
    WorkdayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    assert not workdays.is_workday(D(2027, 1, 1))
    assert workdays.is_workday(D(2027, 1, 4))
    assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)
