"""The figures of the data bureau's cockpit (驾驶舱), the leader's page and the role dashboards.

Each function computes one figure for the whole district (``department=None``) or for one department,
with a fixed number of queries (no query per row): counts are grouped in the database, and the few
values that need Python (working days between two dates) come from one ``values_list``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import mean

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Concat, TruncMonth
from django.http import Http404
from django.utils import timezone

from regshare.catalog.models import Resource, ShareType, Status
from regshare.core import workdays
from regshare.core.clock import today_or
from regshare.core.dashboard import Figure, Series, Stat
from regshare.core.models import AuditRecord, Department
from regshare.core.permissions import Principal, require, sees_everything
from regshare.exchange.models import (
    Application,
    ApplicationStatus,
    Correction,
    CorrectionStatus,
    Decision,
    Grant,
    GrantStatus,
    ReviewStep,
    Stage,
)
from regshare.incidents.models import Grade as IncidentGrade
from regshare.incidents.models import Incident, IncidentStatus
from regshare.ingest import services as ingest
from regshare.ingest.models import QualityReport
from regshare.supervision.models import InspectionTask, TaskStatus

# The review limits of seed 002 第十五条: platform compliance review 2, provider review 5 working days.
REVIEW_LIMITS = {Stage.PLATFORM: 2, Stage.PROVIDER: 5}
ACCESS_ACTIONS = "exchange.access"
QUALITY_MEASURES = (("completeness", "完整性"), ("validity", "有效性"), ("uniqueness", "唯一性"),
                    ("timeliness", "及时性"))
DUTY_ORDER = ("ontime", "zero", "late_submitted", "pending", "overdue")


# ----------------------------------------------------------------------------- months


def months_back(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the last ``count`` months, the oldest first, this month last."""
    first = today.replace(day=1)
    months = [first]
    for _ in range(count - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        months.append(first)
    return months[::-1]


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def month_start_moment(month: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(month, dt.time.min))


def _month_of(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def _suffix(department: Department | None) -> str:
    return "district" if department is None else f"dept-{department.pk}"


def _scope_label(department: Department | None) -> str:
    return "全区" if department is None else department.name


def _percent(part: int | float, whole: int | float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# ----------------------------------------------------------------------------- catalog


def resources_by_department(department: Department | None = None) -> Figure:
    """Published resources of each provider department, by sharing type."""
    rows = Resource.objects.filter(status=Status.PUBLISHED)
    if department is not None:
        rows = rows.filter(provider=department)
    counts = (rows.values("provider__code", "provider__name", "share_type").annotate(n=Count("id"))
              .order_by("provider__code"))
    names: dict[str, str] = {}
    by_type: dict[str, Counter] = defaultdict(Counter)
    for row in counts:
        names[row["provider__code"]] = row["provider__name"]
        by_type[row["share_type"]][row["provider__code"]] = row["n"]
    codes = list(names)
    return Figure(
        f"resources-{_suffix(department)}", "各部门已发布数据资源", "stacked" if department is None else "bar",
        [names[c] for c in codes],
        [Series(label, [by_type[value][c] for c in codes]) for value, label in ShareType.choices],
        unit="个", link="/catalog/")


# ----------------------------------------------------------------------------- sharing volume


def _access_records(department: Department | None) -> QuerySet[AuditRecord]:
    records = AuditRecord.objects.filter(action__startswith=ACCESS_ACTIONS)
    if department is not None:
        targets = (Resource.objects.filter(provider=department)
                   .annotate(target=Concat(Value("resource:"), "code", output_field=CharField())).values("target"))
        records = records.filter(target__in=targets)
    return records


def sharing_volume(today: dt.date | None = None, department: Department | None = None, months: int = 12) -> Figure:
    """Reads of shared data (query, download, push, offline package) per month, from the access log."""
    month_list = months_back(today_or(today), months)
    counts = (_access_records(department).filter(created_at__gte=month_start_moment(month_list[0]))
              .annotate(month=TruncMonth("created_at")).values("month").annotate(n=Count("id")))
    per_month = {_month_of(row["month"]): row["n"] for row in counts}
    title = "数据共享调用量" if department is None else "本部门资源被调用量"
    return Figure(f"volume-{_suffix(department)}", title, "line", [month_label(m) for m in month_list],
                  [Series("调用次数", [per_month.get(m, 0) for m in month_list])], unit="次",
                  note="查询、下载、推送和离线交换,按月统计调用记录。")


# ----------------------------------------------------------------------------- applications


def _applications(department: Department | None) -> QuerySet[Application]:
    items = Application.objects.all()
    if department is not None:
        items = items.filter(Q(requester=department) | Q(resource__provider=department))
    return items


def applications_by_stage(department: Department | None = None) -> Figure:
    """Applications in each state: the stages of review and how they ended."""
    counts = dict(_applications(department).values_list("status").annotate(n=Count("id")).order_by())
    title = "共享申请办理情况" if department is None else "本部门共享申请办理情况"
    return Figure(f"applications-{_suffix(department)}", title, "bar",
                  [label for _, label in ApplicationStatus.choices],
                  [Series("申请数", [counts.get(value, 0) for value, _ in ApplicationStatus.choices])],
                  unit="件", note="本部门提出的申请和申请使用本部门资源的申请。" if department else "",
                  link="/exchange/applications/")


# ----------------------------------------------------------------------------- review times


@dataclass(frozen=True)
class ReviewFigures:
    """Working days each decided review step took, and whether it kept its deadline, per stage."""

    days: dict[str, list[int]]
    on_time: dict[str, list[bool]]
    months: dict[str, dict[dt.date, list[bool]]]

    def average(self, stage: str | None = None) -> float | None:
        values = self.days.get(stage, []) if stage else [d for ds in self.days.values() for d in ds]
        return round(mean(values), 1) if values else None

    def on_time_rate(self, stage: str | None = None) -> float | None:
        flags = self.on_time.get(stage, []) if stage else [f for fs in self.on_time.values() for f in fs]
        return _percent(sum(flags), len(flags))


def review_figures(today: dt.date | None = None, department: Department | None = None,
                   months: int = 12) -> ReviewFigures:
    """One query: the decided platform and provider review steps opened in the last ``months`` months."""
    since = months_back(today_or(today), months)[0]
    steps = ReviewStep.objects.filter(stage__in=list(REVIEW_LIMITS), decided_at__isnull=False, opened_on__gte=since)
    if department is not None:
        steps = steps.filter(department=department)
    days: dict[str, list[int]] = defaultdict(list)
    on_time: dict[str, list[bool]] = defaultdict(list)
    per_month: dict[str, dict[dt.date, list[bool]]] = defaultdict(lambda: defaultdict(list))
    rows = [(stage, opened_on, deadline, timezone.localdate(decided_at))
            for stage, opened_on, deadline, decided_at in steps.values_list("stage", "opened_on", "deadline",
                                                                            "decided_at")]
    spans = workdays.workdays_between_each((opened_on, decided_on) for _, opened_on, _, decided_on in rows)
    for (stage, _, deadline, decided_on), span in zip(rows, spans, strict=True):
        days[stage].append(max(0, span))
        on_time[stage].append(decided_on <= deadline)
        per_month[stage][decided_on.replace(day=1)].append(decided_on <= deadline)
    return ReviewFigures(dict(days), dict(on_time), {k: dict(v) for k, v in per_month.items()})


def review_times(today: dt.date | None = None, department: Department | None = None) -> Figure:
    """Average and longest review, in working days, against the 2 + 5 working-day limits."""
    figures = review_figures(today, department)
    stages = list(REVIEW_LIMITS)
    longest = [max(figures.days[s]) if figures.days.get(s) else None for s in stages]
    return Figure(
        f"review-times-{_suffix(department)}", "审核用时与办理时限", "bar", [Stage(s).label for s in stages],
        [Series("平均用时", [figures.average(s) for s in stages]), Series("最长用时", longest),
         Series("办理时限", [REVIEW_LIMITS[s] for s in stages])],
        unit="工作日", note="平台符合性审查 2 个工作日、提供部门审核 5 个工作日内办结;近 12 个月已办结的审核环节。")


def on_time_rates(today: dt.date | None = None, department: Department | None = None, months: int = 6) -> Figure:
    """Share of review steps decided within their deadline, per month of decision and stage."""
    today = today_or(today)
    figures = review_figures(today, department, months)
    month_list = months_back(today, months)
    series = []
    for stage in REVIEW_LIMITS:
        per_month = figures.months.get(stage, {})
        series.append(Series(Stage(stage).label,
                             [_percent(sum(per_month.get(m, [])), len(per_month.get(m, []))) for m in month_list]))
    return Figure(f"on-time-{_suffix(department)}", "审核按期办结率", "line", [month_label(m) for m in month_list],
                  series, unit="%", marks=(("目标 100%", 100),))


# ----------------------------------------------------------------------------- quality


def quality_trend(today: dt.date | None = None, department: Department | None = None, months: int = 6) -> Figure:
    """Average quality of the month's loads (completeness, validity, uniqueness, timeliness) in per cent."""
    month_list = months_back(today_or(today), months)
    reports = QualityReport.objects.filter(created_at__gte=month_start_moment(month_list[0]))
    if department is not None:
        reports = reports.filter(resource__provider=department)
    rows = (reports.annotate(month=TruncMonth("created_at")).values("month")
            .annotate(**{name: Avg(name) for name, _ in QUALITY_MEASURES}))
    per_month = {_month_of(row["month"]): row for row in rows}
    series = [Series(label, [round(100 * per_month[m][name], 1) if m in per_month else None for m in month_list])
              for name, label in QUALITY_MEASURES]
    return Figure(f"quality-{_suffix(department)}", "数据质量趋势", "line", [month_label(m) for m in month_list],
                  series, unit="%", note="每次归集的质量报告按月平均。", link="/ingest/")


def quality_score(today: dt.date | None = None, department: Department | None = None, months: int = 6) -> float | None:
    since = month_start_moment(months_back(today_or(today), months)[0])
    reports = QualityReport.objects.filter(created_at__gte=since)
    if department is not None:
        reports = reports.filter(resource__provider=department)
    score = reports.aggregate(score=Avg("score"))["score"]
    return None if score is None else round(100 * score, 1)


# ----------------------------------------------------------------------------- monthly reporting duty


def duty_period(today: dt.date | None = None) -> dt.date:
    """The month whose report is due now: last month."""
    return ingest.previous_month(today_or(today))


def duty_status(today: dt.date | None = None, department: Department | None = None) -> Figure:
    """Last month's reporting duty of file-provided resources, by department and status."""
    today = today_or(today)
    period = duty_period(today)
    rows = ingest.duty_status(period, today, department=department)
    names: dict[int, str] = {}
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        names[row.resource.provider_id] = row.resource.provider.name
        counts[row.status][row.resource.provider_id] = counts[row.status][row.resource.provider_id] + 1
    ids = list(names)
    return Figure(f"duty-{_suffix(department)}", f"{period.year}年{period.month}月数据报送情况", "stacked",
                  [names[i] for i in ids],
                  [Series(ingest.DUTY_LABELS[status], [counts[status][i] for i in ids]) for status in DUTY_ORDER],
                  unit="个资源", note=f"以文件方式提供的资源应在次月{ingest.DUTY_DAY}日前报送上月数据或零报告。",
                  link="/ingest/duty/")


def duty_on_time_rate(today: dt.date | None = None, department: Department | None = None) -> float | None:
    today = today_or(today)
    rows = [r for r in ingest.duty_status(duty_period(today), today, department=department) if r.status != "pending"]
    return _percent(sum(r.status in ("ontime", "zero") for r in rows), len(rows))


# ----------------------------------------------------------------------------- overdue items


def overdue_by_department(today: dt.date | None = None) -> Figure:
    """Open review steps and error corrections past their deadline, by the department that owes them."""
    today = today_or(today)
    reviews = dict(ReviewStep.objects.filter(decision=Decision.PENDING, deadline__lt=today)
                   .values_list("department__name").annotate(n=Count("id")).order_by())
    corrections = dict(Correction.objects.filter(status=CorrectionStatus.OPEN, deadline__lt=today)
                       .values_list("resource__provider__name").annotate(n=Count("id")).order_by())
    names = sorted(set(reviews) | set(corrections), key=lambda n: -(reviews.get(n, 0) + corrections.get(n, 0)))
    return Figure("overdue-district", "各部门超期事项", "stacked", names,
                  [Series("超期审核", [reviews.get(n, 0) for n in names]),
                   Series("超期纠错", [corrections.get(n, 0) for n in names])], unit="件",
                  note="尚未办结且已过办理期限的审核环节和纠错反馈。")


def overdue_count(today: dt.date | None = None, department: Department | None = None) -> int:
    today = today_or(today)
    reviews = ReviewStep.objects.filter(decision=Decision.PENDING, deadline__lt=today)
    corrections = Correction.objects.filter(status=CorrectionStatus.OPEN, deadline__lt=today)
    if department is not None:
        reviews = reviews.filter(department=department)
        corrections = corrections.filter(resource__provider=department)
    return reviews.count() + corrections.count()


# ----------------------------------------------------------------------------- incidents


def incidents_by_month(today: dt.date | None = None, department: Department | None = None, months: int = 12) -> Figure:
    """Security incidents discovered per month, by grade."""
    month_list = months_back(today_or(today), months)
    items = Incident.objects.filter(discovered_at__gte=month_start_moment(month_list[0]))
    if department is not None:
        items = items.filter(Q(department=department) | Q(departments=department)).distinct()
    rows = (items.annotate(month=TruncMonth("discovered_at")).values("month", "grade")
            .annotate(n=Count("id", distinct=True)))
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        counts[row["grade"]][_month_of(row["month"])] += row["n"]
    return Figure(f"incidents-{_suffix(department)}", "数据安全事件", "stacked", [month_label(m) for m in month_list],
                  [Series(label, [counts[value][m] for m in month_list]) for value, label in IncidentGrade.choices],
                  unit="起", link="/incidents/")


# ----------------------------------------------------------------------------- inspections


def inspection_tasks(principal: Principal) -> Figure:
    """The random-inspection tasks the principal may see, by state."""
    counts = dict(InspectionTask.objects.visible_to(principal).order_by().values_list("status")
                  .annotate(n=Count("id", distinct=True)))
    return Figure("inspection-tasks", "双随机抽查任务进度", "bar", [label for _, label in TaskStatus.choices],
                  [Series("任务数", [counts.get(value, 0) for value, _ in TaskStatus.choices])], unit="项",
                  link="/supervision/")


# ----------------------------------------------------------------------------- boards


def headline(today: dt.date | None = None) -> list[Stat]:
    """The cockpit's headline numbers for the whole district."""
    today = today_or(today)
    resources = Resource.objects.filter(status=Status.PUBLISHED).aggregate(
        n=Count("id"), providers=Count("provider", distinct=True))
    this_month = month_start_moment(today.replace(day=1))
    year_start = today.replace(month=1, day=1)
    return [
        Stat("已发布数据资源", resources["n"], "个", "/catalog/"),
        Stat("提供数据的部门", resources["providers"], "个"),
        Stat("有效共享授权", Grant.objects.filter(status=GrantStatus.ACTIVE, expires_on__gte=today).count(), "项"),
        Stat("本年共享申请", Application.objects.filter(submitted_on__gte=year_start).count(), "件",
             "/exchange/applications/"),
        Stat("本月调用", _access_records(None).filter(created_at__gte=this_month).count(), "次"),
        Stat("超期事项", overdue_count(today), "件"),
        Stat("未结案安全事件", Incident.objects.exclude(status=IncidentStatus.CLOSED).count(), "起", "/incidents/"),
    ]


def require_cockpit(principal: Principal) -> None:
    require(principal, "cockpit.view")


def cockpit(principal: Principal, today: dt.date | None = None) -> tuple[list[Stat], list[Figure]]:
    """The data bureau's cockpit: the whole district."""
    require_cockpit(principal)
    today = today_or(today)
    return headline(today), [
        resources_by_department(), sharing_volume(today), applications_by_stage(), review_times(today),
        on_time_rates(today), quality_trend(today), duty_status(today), overdue_by_department(today),
        incidents_by_month(today),
    ]


@dataclass(frozen=True)
class Comparison:
    label: str
    unit: str
    department: float | int | None
    district: float | int | None


def comparisons(department: Department, today: dt.date | None = None) -> list[Comparison]:
    """The department's figures next to the whole district's."""
    today = today_or(today)
    mine, everyone = review_figures(today, department), review_figures(today)
    providers = max(1, Resource.objects.filter(status=Status.PUBLISHED).values("provider").distinct().count())
    month_start = month_start_moment(today.replace(day=1))
    own_reads = _access_records(department).filter(created_at__gte=month_start).count()
    all_reads = _access_records(None).filter(created_at__gte=month_start).count()
    return [
        Comparison("审核按期办结率", "%", mine.on_time_rate(), everyone.on_time_rate()),
        Comparison("平均审核用时", "工作日", mine.average(), everyone.average()),
        Comparison("数据质量综合得分", "%", quality_score(today, department), quality_score(today)),
        Comparison("上月数据按时报送率", "%", duty_on_time_rate(today, department), duty_on_time_rate(today)),
        Comparison("本月资源被调用(区平均为各提供部门平均)", "次", own_reads, round(all_reads / providers, 1)),
        Comparison("超期事项", "件", overdue_count(today, department), round(overdue_count(today) / providers, 1)),
    ]


def comparison_figure(department: Department, today: dt.date | None = None) -> Figure:
    rates = [c for c in comparisons(department, today) if c.unit == "%"]
    return Figure(f"compare-dept-{department.pk}", "本部门与全区对比", "bar", [c.label for c in rates],
                  [Series(department.name, [c.department for c in rates]), Series("全区", [c.district for c in rates])],
                  unit="%", link="/cockpit/leader/")


def leader_department(principal: Principal, code: str = "") -> Department:
    """The department a leader's page shows: the leader's own; the data bureau may pick any by code."""
    require(principal, "cockpit.leader")
    if code and sees_everything(principal):
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise Http404("没有这个部门")
        return department
    if principal.department is None:
        raise PermissionDenied("该账号未分配部门,无法查看部门对比")
    return principal.department


def leader_board(principal: Principal, department: Department,
                 today: dt.date | None = None) -> tuple[list[Comparison], list[Figure]]:
    today = today_or(today)
    return comparisons(department, today), [
        comparison_figure(department, today), sharing_volume(today, department),
        applications_by_stage(department), review_times(today, department), quality_trend(today, department),
        duty_status(today, department), incidents_by_month(today, department),
    ]
