"""Background work of the exchange: pushes, retries, overdue flags, grant expiry."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def deliver_task(subscription_id: int) -> None:
    from .push import deliver

    deliver(subscription_id)


@db_periodic_task(crontab(minute="*"))
def retry_deliveries_task() -> None:
    from .push import retry_due_deliveries

    retry_due_deliveries()


@db_periodic_task(crontab(minute="5", hour="*"))
def overdue_task() -> None:
    """Hourly: flag overdue reviews and corrections; end expired grants."""
    from .services import expire_grants, flag_overdue

    flag_overdue()
    expire_grants()
