from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from regshare.core import clock

from . import lists, scorecard, services


@db_task()
def convert_list_version(resource_code: str, version: int) -> dict:
    """A new version of SCJG-0003/0004 becomes list entries, off the load's path; returns the counts."""
    return lists.convert_version(resource_code, version).as_dict()


@db_periodic_task(crontab(hour="1", minute="10"))
def daily_list_rules() -> dict:
    """Abnormal list ≥3 years → serious list; serious list ends after 3 years; publicity periods end;
    from 1 July, no annual report for last year → abnormal list."""
    today = clock.today()
    result = services.apply_list_rules(today)
    result["expired_publicity"] = services.expire_publicity(today)
    result["annual_report"] = services.apply_annual_report_rule(today)
    return result


@db_periodic_task(crontab(hour="2", minute="30", day_of_week="1"))
def weekly_risk_classes() -> dict:
    """Recompute every entity's A/B/C/D class."""
    return scorecard.recompute(clock.today())
