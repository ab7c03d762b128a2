"""Monthly reporting duty: reports by the 5th, zero reports, lateness, reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from regshare.catalog.models import Resource
from regshare.core.models import AuditRecord, Notification
from regshare.ingest import services
from regshare.ingest.models import MonthlyReport, ReportKind

pytestmark = pytest.mark.date_sensitive  # deadlines and report months count from today (make test-dates)

JAN = dt.date(2026, 1, 1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def only_mine(rows, resources):
    codes = {r.code for r in resources}
    return {r.resource.code: r.status for r in rows if r.resource.code in codes}


def test_due_date_is_the_fifth_of_next_month():
    assert services.due_date(JAN) == dt.date(2026, 2, 5)
    assert services.due_date(dt.date(2025, 12, 1)) == dt.date(2026, 1, 5)
    assert services.previous_month(dt.date(2026, 1, 3)) == dt.date(2025, 12, 1)


def test_status_on_time_zero_late_pending_overdue(make_resource):
    ontime, zero, late, missing = (make_resource() for _ in range(4))
    services.record_zero_report("test", zero, JAN, when=at(dt.date(2026, 2, 3)))
    MonthlyReport.objects.create(resource=ontime, period=JAN, kind=ReportKind.DATA, due_date=services.due_date(JAN),
                                 submitted_at=at(dt.date(2026, 2, 5), 17))
    MonthlyReport.objects.create(resource=late, period=JAN, kind=ReportKind.DATA, due_date=services.due_date(JAN),
                                 submitted_at=at(dt.date(2026, 2, 6)))
    mine = [ontime, zero, late, missing]
    assert only_mine(services.duty_status(JAN, dt.date(2026, 2, 4)), mine)[missing.code] == "pending"
    assert only_mine(services.duty_status(JAN, dt.date(2026, 2, 9)), mine) == {
        ontime.code: "ontime", zero.code: "zero", late.code: "late_submitted", missing.code: "overdue"}


def test_successful_file_load_counts_as_last_months_report(make_resource, tmp_path):
    from .helpers import company_rows, write_csv

    resource = make_resource()
    result = services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(2)), resource)
    period = services.previous_month(timezone.localdate())
    report = MonthlyReport.objects.get(resource=resource, period=period)
    assert report.kind == ReportKind.DATA and report.load == result.load


def test_zero_report_rules(make_resource, principal_of_user):
    resource = make_resource()
    report = services.record_zero_report(principal_of_user("scjg_liaison"), resource, "2026-01", "本月无新增")
    assert report.kind == ReportKind.ZERO and report.due_date == dt.date(2026, 2, 5)
    assert AuditRecord.objects.filter(action="ingest.zero_report").exists()
    with pytest.raises(ValidationError) as err:
        services.record_zero_report(principal_of_user("scjg_liaison"), resource, "2026-01")
    assert err.value.code == "already_reported"
    this_month = timezone.localdate().strftime("%Y-%m")
    with pytest.raises(ValidationError) as err:
        services.record_zero_report(principal_of_user("scjg_liaison"), resource, this_month)
    assert err.value.code == "period_not_ended"
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.record_zero_report(principal_of_user("fgj_liaison"), resource, "2025-12")
    assert MonthlyReport.objects.filter(resource=resource).count() == 1


def test_reminders_before_and_after_the_deadline(make_resource):
    Resource.objects.filter(provision="file").exclude(code__startswith="TEST-").update(status="draft")
    reported, missing = make_resource(), make_resource()
    services.record_zero_report("test", reported, JAN, when=at(dt.date(2026, 2, 2)))
    provider = missing.provider
    before = Notification.objects.filter(department=provider, kind="ingest.duty").count()
    assert services.send_duty_reminders(dt.date(2026, 2, 3)) == 1
    assert services.send_duty_reminders(dt.date(2026, 2, 3)) == 0  # once a day
    reminder = Notification.objects.filter(department=provider, kind="ingest.duty").latest("id")
    assert "请于 02月05日 前报送" in reminder.title and missing.name in reminder.title
    bureau = Notification.objects.filter(department__is_data_bureau=True, kind="ingest.duty")
    assert not bureau.exists()
    assert services.send_duty_reminders(dt.date(2026, 2, 6)) == 1
    assert services.send_duty_reminders(dt.date(2026, 2, 7)) == 1
    overdue = Notification.objects.filter(department=provider, kind="ingest.duty").latest("id")
    assert "逾期未报送" in overdue.title
    assert bureau.count() == 1  # the data bureau hears once, not every day
    assert Notification.objects.filter(department=provider, kind="ingest.duty").count() == before + 3
