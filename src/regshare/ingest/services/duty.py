"""The monthly reporting duty (seed 002 五.3): periods, zero reports, duty status and reminders."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from regshare.catalog.models import Provision, Resource, Status
from regshare.core import audit
from regshare.core.models import Role
from regshare.core.permissions import Principal
from regshare.core.services import notify_data_bureau, notify_department

from ..models import DutyReminder, Load, LoadMode, LoadStatus, MonthlyReport, ReportKind
from .access import _user_of, check_can_provide, get_resource

DUTY_DAY = 5  # file-based providers report last month's data by the 5th (seed 002 五.3)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    first = day.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def due_date(period: dt.date) -> dt.date:
    last = calendar.monthrange(period.year, period.month)[1]
    return (period.replace(day=last) + dt.timedelta(days=1)).replace(day=DUTY_DAY)


def parse_period(text: str) -> dt.date:
    try:
        return dt.datetime.strptime((text or "").strip()[:7], "%Y-%m").date()
    except ValueError as exc:
        raise ValidationError(f"月份格式应为 YYYY-MM:{text}", code="bad_period") from exc


def duty_resources() -> QuerySet[Resource]:
    return (Resource.objects.filter(provision=Provision.FILE, status=Status.PUBLISHED)
            .select_related("provider").order_by("provider__code", "code"))


def _record_monthly_from_load(load: Load) -> None:
    """A successful file load counts as the report of the month before it, if that month has none yet."""
    today = timezone.localdate(load.finished_at or timezone.now())
    period = previous_month(today)
    if MonthlyReport.objects.filter(resource=load.resource, period=period).exists():
        return
    MonthlyReport.objects.create(resource=load.resource, period=period, kind=ReportKind.DATA, load=load,
                                 due_date=due_date(period), submitted_at=load.finished_at or timezone.now(),
                                 submitted_by=load.created_by, note=f"第 {load.pk} 次归集")


def record_zero_report(actor, resource: Resource | str, period: dt.date | str, note: str = "", *,
                       when: dt.datetime | None = None) -> MonthlyReport:
    """零报告: the provider had no new data in ``period``."""
    resource = get_resource(resource)
    check_can_provide(actor, resource)
    period = parse_period(period) if isinstance(period, str) else month_start(period)
    now = when or timezone.now()
    if period >= month_start(timezone.localdate(now)):
        raise ValidationError("只能对已结束的月份报送零报告", code="period_not_ended")
    if resource.provision != Provision.FILE:
        raise ValidationError("只有以文件方式提供的资源需要月度报送", code="not_file_provision")
    existing = MonthlyReport.objects.filter(resource=resource, period=period).first()
    if existing is not None:
        raise ValidationError(f"{period:%Y年%m月} 已{existing.get_kind_display()},无需重复报送",
                              code="already_reported")
    with transaction.atomic():
        report = MonthlyReport.objects.create(resource=resource, period=period, kind=ReportKind.ZERO,
                                              due_date=due_date(period), submitted_at=now,
                                              submitted_by=_user_of(actor), note=note[:300])
        audit.record(actor, "ingest.zero_report", report, {"resource": resource.code, "period": f"{period:%Y-%m}"})
    return report


@dataclass
class DutyRow:
    resource: Resource
    period: dt.date
    due: dt.date
    report: MonthlyReport | None
    status: str        # ontime | zero | late_submitted | pending | overdue
    label: str

    @property
    def is_problem(self) -> bool:
        return self.status in ("overdue", "late_submitted")


DUTY_LABELS = {"ontime": "按时报送", "zero": "零报告", "late_submitted": "逾期报送", "pending": "待报送",
               "overdue": "逾期未报送"}


def duty_status(period: dt.date, today: dt.date | None = None, *, department=None) -> list[DutyRow]:
    today = today or timezone.localdate()
    period = month_start(period)
    due = due_date(period)
    resources = duty_resources()
    if department is not None:
        resources = resources.filter(provider=department)
    reports = {r.resource_id: r for r in MonthlyReport.objects.filter(period=period, resource__in=resources)}
    rows = []
    for resource in resources:
        report = reports.get(resource.pk)
        if report is None:
            status = "overdue" if today > due else "pending"
        elif report.is_late:
            status = "late_submitted"
        else:
            status = "zero" if report.kind == ReportKind.ZERO else "ontime"
        rows.append(DutyRow(resource, period, due, report, status, DUTY_LABELS[status]))
    return rows


def send_duty_reminders(today: dt.date | None = None) -> int:
    """Daily: remind providers whose last-month report is missing; tell the data bureau once when overdue."""
    today = today or timezone.localdate()
    period = previous_month(today)
    sent = 0
    for row in duty_status(period, today):
        if row.report is not None:
            continue
        overdue = row.status == "overdue"
        with transaction.atomic():
            reminder, created = DutyReminder.objects.get_or_create(resource=row.resource, period=period,
                                                                   sent_on=today, defaults={"overdue": overdue})
            if not created:
                continue
            link = _duty_link(period)
            if overdue:
                notify_department(row.resource.provider, "ingest.duty",
                                  f"{row.resource.name} {period:%Y年%m月} 数据逾期未报送",
                                  f"报送期限为 {row.due:%Y年%m月%d日},请尽快上传上月新增数据或报送零报告。", link)
                first = not DutyReminder.objects.filter(resource=row.resource, period=period, overdue=True) \
                    .exclude(pk=reminder.pk).exists()
                if first:
                    notify_data_bureau("ingest.duty", f"{row.resource.provider.name} 逾期未报送 {row.resource.name}",
                                       f"{period:%Y年%m月} 数据应于 {row.due:%m月%d日} 前报送。", link)
            else:
                notify_department(row.resource.provider, "ingest.duty",
                                  f"请于 {row.due:%m月%d日} 前报送 {row.resource.name} {period:%Y年%m月} 数据",
                                  "上月无新增数据的,请报送零报告。", link)
            audit.record("system", "ingest.duty.remind", row.resource,
                         {"period": f"{period:%Y-%m}", "overdue": overdue})
        sent += 1
    return sent


def _duty_link(period: dt.date) -> str:
    try:
        return reverse("ingest:duty") + f"?period={period:%Y-%m}"
    except Exception:  # URLs not loaded
        return ""


def pending_duty_items(principal: Principal) -> list:
    """Dashboard: the liaison's missing reports for last month."""
    from regshare.core.dashboard import PendingItem

    if principal.department is None or Role.DATA_LIAISON not in principal.roles:
        return []
    today = timezone.localdate()
    period = previous_month(today)
    items = []
    for row in duty_status(period, today, department=principal.department):
        if row.report is None:
            items.append(PendingItem("月度报送", f"{row.resource.name} {period:%Y年%m月} 数据待报送",
                                     _duty_link(period), row.due.isoformat(), row.status == "overdue"))
    return items


def rows_reported(resource: Resource, first: dt.date, last: dt.date) -> int | None:
    """New rows a resource reported for the month ``first``..``last`` (政务数据共享信息审核表): 0 for a zero
    report, the rows of the load recorded as the month's report, else the rows of merge loads finished in the
    month; None when nothing tells."""
    report = MonthlyReport.objects.filter(resource=resource, period=month_start(first)).select_related("load").first()
    if report is not None:
        if report.kind == ReportKind.ZERO:
            return 0
        if report.load is not None:
            return report.load.rows_loaded
    loads = Load.objects.filter(resource=resource, status=LoadStatus.LOADED, mode=LoadMode.MERGE,
                                finished_at__date__gte=first, finished_at__date__lte=last)
    if not loads.exists():
        return None
    return sum(loads.values_list("rows_loaded", flat=True))
