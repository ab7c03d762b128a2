"""The demo runs on any day: in late December its deadlines reach a year the holiday library may not know."""

from __future__ import annotations

import datetime as dt

from regshare.core import workdays
from regshare.core.models import CalendarYear
from regshare.demo import DemoContext
from regshare.demo.org import DEMO_CALENDAR_NOTE, confirm_demo_calendar


def test_demo_confirms_next_year_as_a_marked_demo_calendar(unconfirmed_years):
    last = workdays.library_years()[1]
    messages = []
    added = confirm_demo_calendar(DemoContext(seed=1, entities=0, echo=messages.append), on=dt.date(last, 12, 28))
    assert added == [last + 1]
    assert CalendarYear.objects.get(year=last + 1).note == DEMO_CALENDAR_NOTE
    assert workdays.add_workdays(dt.date(last, 12, 28), 20).year == last + 1
    assert "演示日历" in messages[0]


def test_demo_leaves_known_and_confirmed_years_alone(unconfirmed_years):
    last = workdays.library_years()[1]
    CalendarYear.objects.create(year=last + 1, note="已导入国务院办公厅通知")
    assert confirm_demo_calendar(DemoContext(seed=1, entities=0, echo=print), on=dt.date(last, 6, 1)) == []
    assert confirm_demo_calendar(DemoContext(seed=1, entities=0, echo=print), on=dt.date(last + 1, 6, 1)) == [last + 2]
    assert CalendarYear.objects.get(year=last + 1).note == "已导入国务院办公厅通知"
