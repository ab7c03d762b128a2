from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from regshare.core import clock

from . import services


@db_periodic_task(crontab(hour="7", minute="40"))
def daily_supervision_deadlines() -> dict:
    """Tasks whose results are not published on time are escalated; far-overdue work orders raise an alarm."""
    today = clock.today()
    return {"tasks_escalated": services.escalate_overdue(today),
            "complaints_alarmed": services.alarm_overdue_complaints(today)}
