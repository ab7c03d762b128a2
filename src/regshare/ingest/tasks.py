"""Background work: queued file loads, scheduled pulls and the monthly duty reminders."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

log = logging.getLogger(__name__)


@db_task()
def run_file_load(load_id: int) -> None:
    from . import services

    services.run_stored_load(load_id)


@db_periodic_task(crontab(hour="9", minute="0"))
def remind_monthly_duty() -> int:
    """Every morning: remind providers whose last month's report (or zero report) is missing."""
    from . import services

    return services.send_duty_reminders()


@db_periodic_task(crontab(minute="15"))
def pull_due_sources() -> int:
    """Hourly: pull every enabled table/interface source whose resource is due by its update frequency."""
    from . import services

    return services.pull_due_sources()
