"""Today's date, once: the local (Asia/Shanghai) date of ``django.utils.timezone``, which
``time_machine`` moves in the tests. Services take an optional ``today`` and default to this."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()


def today_or(day: dt.date | None) -> dt.date:
    """``day`` when a caller passes one (a command's ``--date``, a test), else today."""
    return day or today()
