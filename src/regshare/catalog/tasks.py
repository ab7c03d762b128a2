"""Daily catalog duties: flag overdue catalog updates, finish retirements whose transition period is over."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(hour="6", minute="10"))
def flag_overdue_obligations() -> int:
    return len(services.flag_overdue_obligations())


@db_periodic_task(crontab(hour="6", minute="20"))
def complete_retirements() -> int:
    return len(services.complete_retirements())
