"""Background work of the evaluation: the monthly recomputation of the system-collected indicators."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


def current_half(today) -> str:
    return f"{today.year}H{1 if today.month <= 6 else 2}"


@db_periodic_task(crontab(day="1", hour="3", minute="30"))
def recompute_current_half() -> dict:
    from . import services

    return services.compute("system", current_half(timezone.localdate()))


@db_periodic_task(crontab(hour="7", minute="10"))
def escalate_overdue_rectifications() -> int:
    from . import services

    return services.escalate_overdue()


@db_task()
def build_report(report_id: int) -> str:
    """The Word and PDF files of an evaluation report, off the request (its page polls the progress)."""
    from . import services

    return services.build_report_files(report_id)
