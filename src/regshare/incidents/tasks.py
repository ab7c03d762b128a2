"""Background work of the incident register: report deadlines are hours, so they are checked often."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/5"))
def overdue_reports_task() -> None:
    from .services import flag_overdue_reports

    flag_overdue_reports()
