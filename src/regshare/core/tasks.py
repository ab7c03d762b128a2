from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(hour="8", minute="5"))
def daily_calendar_warning() -> int | None:
    """From 1 November: tell the platform admins once that next year's holidays are not confirmed."""
    return services.warn_unconfirmed_next_year()
