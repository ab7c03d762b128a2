from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from regshare.core import clock

from . import services


@db_periodic_task(crontab(hour="3", minute="30"))
def daily_scores() -> dict:
    """Score every entity after the night's loads and credit classes (credit recomputes Mondays at 02:30),
    so the classes random inspections draw on carry the risk level; raise the new alerts."""
    return services.score("system", clock.today())


@db_periodic_task(crontab(day="1", hour="4", minute="0"))
def monthly_training() -> dict:
    """A new model version each month, with last month's alert feedback among its labels."""
    version = services.train("system", clock.today())
    return {"version": version.version, "auc": version.auc}
