"""The cockpit's figures, checked against data each test creates (dates passed in, any day of the year)."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from regshare.cockpit import services
from regshare.core import audit, workdays
from regshare.core.models import Department
from regshare.exchange.models import ApplicationStatus, Correction, CorrectionStatus, Stage
from regshare.incidents.models import Incident
from regshare.ingest.models import Load, LoadStatus, MonthlyReport, QualityReport, ReportKind

from .conftest import at

TODAY = dt.date(2026, 7, 15)


def series(figure, name):
    return next(list(s.data) for s in figure.series if s.name == name)


def test_months_back_ends_with_this_month_across_a_year_end():
    assert services.months_back(dt.date(2026, 2, 10), 3) == [dt.date(2025, 12, 1), dt.date(2026, 1, 1),
                                                             dt.date(2026, 2, 1)]


def test_review_times_against_the_two_and_five_day_limits(department, make_application):
    monday = dt.date(2026, 6, 1)
    two_days, four_days = workdays.add_workdays(monday, 2), workdays.add_workdays(monday, 4)
    five_days = workdays.add_workdays(monday, 5)
    make_application(steps=[(Stage.PLATFORM, monday, two_days, two_days)], platform_by=department)
    make_application(steps=[(Stage.PLATFORM, monday, four_days, two_days)], platform_by=department)
    make_application(steps=[(Stage.PROVIDER, monday, five_days, five_days)])
    make_application(steps=[(Stage.PROVIDER, monday, None, five_days)])  # still open: not a review time

    figure = services.review_times(TODAY, department)
    assert figure.categories == ["平台符合性审查", "提供部门审核"]
    assert series(figure, "平均用时") == [3.0, 5.0]
    assert series(figure, "最长用时") == [4, 5]
    assert series(figure, "办理时限") == [2, 5]
    rates = services.on_time_rates(TODAY, department)
    june = rates.categories.index("2026年6月")
    assert series(rates, "平台符合性审查")[june] == 50.0 and series(rates, "提供部门审核")[june] == 100.0
    assert series(rates, "平台符合性审查")[june - 1] is None  # no decision in May: no rate, not 0 %


def test_applications_by_stage_counts_the_department_as_requester_or_provider(department, make_application):
    make_application(status=ApplicationStatus.PLATFORM_REVIEW)
    make_application(status=ApplicationStatus.PLATFORM_REVIEW)
    make_application(status=ApplicationStatus.APPROVED)
    other = Department.objects.get(code="360404-SCJG")
    from regshare.catalog.models import Resource

    make_application(status=ApplicationStatus.REJECTED, resource=Resource.objects.filter(provider=other).first())
    figure = services.applications_by_stage(department)
    counts = dict(zip(figure.categories, series(figure, "申请数"), strict=True))
    assert counts["平台符合性审查中"] == 2 and counts["已通过"] == 1 and counts["已驳回"] == 0


def test_sharing_volume_counts_reads_of_the_department_resources_per_month(department, make_resource):
    mine, other = make_resource(), make_resource(provider=Department.objects.get(code="360404-SCJG"))
    for day, resource, action in [(dt.date(2026, 5, 3), mine, "exchange.access.query"),
                                  (dt.date(2026, 7, 1), mine, "exchange.access.download"),
                                  (dt.date(2026, 7, 2), mine, "exchange.access.query"),
                                  (dt.date(2026, 7, 2), mine, "exchange.grant.created"),
                                  (dt.date(2026, 7, 2), other, "exchange.access.query")]:
        with time_machine.travel(at(day), tick=False):
            audit.record("xzsp_liaison", action, f"resource:{resource.code}", {})
    figure = services.sharing_volume(TODAY, department)
    volume = dict(zip(figure.categories, series(figure, "调用次数"), strict=True))
    assert volume["2026年5月"] == 1 and volume["2026年6月"] == 0 and volume["2026年7月"] == 2
    assert figure.categories[-1] == "2026年7月" and len(figure.categories) == 12
    district = dict(zip(*[services.sharing_volume(TODAY).categories,
                          series(services.sharing_volume(TODAY), "调用次数")], strict=True))
    assert district["2026年7月"] >= 3


def test_quality_trend_is_the_monthly_average_in_percent(department, make_resource):
    resource = make_resource()
    for day, completeness in [(dt.date(2026, 6, 10), 0.9), (dt.date(2026, 6, 20), 0.8), (dt.date(2026, 7, 1), 1.0)]:
        with time_machine.travel(at(day), tick=False):
            load = Load.objects.create(resource=resource, department=department, status=LoadStatus.LOADED)
            QualityReport.objects.create(load=load, resource=resource, completeness=completeness, validity=0.5,
                                         uniqueness=1.0, timeliness=1.0, score=completeness)
    figure = services.quality_trend(TODAY, department)
    june, july = figure.categories.index("2026年6月"), figure.categories.index("2026年7月")
    assert series(figure, "完整性")[june] == 85.0 and series(figure, "完整性")[july] == 100.0
    assert series(figure, "有效性")[june] == 50.0
    assert series(figure, "完整性")[june - 1] is None
    assert services.quality_score(TODAY, department) == 90.0


def test_duty_status_of_last_month_by_status(department, make_resource):
    on_time, zero, missing = make_resource(), make_resource(), make_resource()
    make_resource(provision="api")  # not a file provider: no monthly duty
    june = dt.date(2026, 6, 1)
    MonthlyReport.objects.create(resource=on_time, period=june, kind=ReportKind.DATA, due_date=dt.date(2026, 7, 5),
                                 submitted_at=at(dt.date(2026, 7, 3)))
    MonthlyReport.objects.create(resource=zero, period=june, kind=ReportKind.ZERO, due_date=dt.date(2026, 7, 5),
                                 submitted_at=at(dt.date(2026, 7, 4)))
    figure = services.duty_status(TODAY, department)
    assert figure.title == "2026年6月数据报送情况" and figure.categories == ["区测试局"]
    assert series(figure, "按时报送") == [1] and series(figure, "零报告") == [1]
    assert series(figure, "逾期未报送") == [1] and series(figure, "待报送") == [0]
    assert services.duty_on_time_rate(TODAY, department) == 66.7
    assert missing.code  # the third resource is the overdue one


def test_overdue_items_by_the_department_that_owes_them(department, make_application, make_resource, user_named):
    monday = dt.date(2026, 6, 1)
    make_application(steps=[(Stage.PROVIDER, monday, None, dt.date(2026, 6, 8))])
    make_application(steps=[(Stage.PROVIDER, monday, None, dt.date(2026, 7, 20))])  # not yet due
    resource = make_resource()
    Correction.objects.create(resource=resource, reporter=Department.objects.get(code="360404-XZSP"),
                              reported_by=user_named("xzsp_liaison"), key={"uscc": "x"}, field="name",
                              status=CorrectionStatus.OPEN, opened_on=monday, deadline=dt.date(2026, 6, 8))
    figure = services.overdue_by_department(TODAY)
    row = figure.categories.index("区测试局")
    assert series(figure, "超期审核")[row] == 1 and series(figure, "超期纠错")[row] == 1
    assert services.overdue_count(TODAY, department) == 2


def test_incidents_per_month_by_grade(department, user_named):
    for n, (day, grade) in enumerate([(dt.date(2026, 7, 2), "general"), (dt.date(2026, 7, 9), "major"),
                                      (dt.date(2026, 3, 1), "general"), (dt.date(2025, 6, 1), "general")]):
        Incident.objects.create(number=f"SJ-T{n}", title="测试事件", grade=grade, description="测试",
                                discovered_at=at(day), discoverer="巡检", department=department,
                                registered_by=user_named("admin"), report_hours=24,
                                report_deadline=at(day) + dt.timedelta(hours=24))
    figure = services.incidents_by_month(TODAY, department)
    july, march = figure.categories.index("2026年7月"), figure.categories.index("2026年3月")
    assert series(figure, "一般")[july] == 1 and series(figure, "重大")[july] == 1
    assert series(figure, "一般")[march] == 1
    assert sum(series(figure, "一般")) == 2  # June 2025 is outside the twelve months


def test_resources_by_department_and_sharing_type(department, make_resource):
    make_resource(share_type="unconditional")
    make_resource(share_type="conditional")
    make_resource(share_type="conditional")
    make_resource(status="draft")
    figure = services.resources_by_department(department)
    assert figure.categories == ["区测试局"]
    assert series(figure, "无条件共享") == [1] and series(figure, "有条件共享") == [2]


def test_leader_comparison_puts_the_department_next_to_the_district(department, make_application):
    monday = dt.date(2026, 6, 1)
    five = workdays.add_workdays(monday, 5)
    make_application(steps=[(Stage.PROVIDER, monday, five, five)])
    make_application(steps=[(Stage.PROVIDER, monday, workdays.add_workdays(monday, 7), five)])
    rows = {c.label: c for c in services.comparisons(department, TODAY)}
    assert rows["审核按期办结率"].department == 50.0
    assert rows["平均审核用时"].department == 6.0
    assert rows["审核按期办结率"].district is not None


def test_the_cockpit_costs_the_same_queries_with_more_data(department, make_application, make_resource,
                                                           principal_of_user):
    admin = principal_of_user("admin")
    monday = dt.date(2026, 6, 1)

    def add(n):
        for _ in range(n):
            make_application(steps=[(Stage.PROVIDER, monday, workdays.add_workdays(monday, 3),
                                     workdays.add_workdays(monday, 5))])

    add(1)
    with CaptureQueriesContext(connection) as few:
        services.cockpit(admin, TODAY)
    add(10)
    with CaptureQueriesContext(connection) as many:
        services.cockpit(admin, TODAY)
    assert len(many) == len(few)
