"""Department assessment (考核) of data-sharing performance, from measured facts only (SPEC §8, seed 002 五,
seed 004 五): each criterion has a maximum, a rate measured on the platform's own records and the records behind
it, so every point of the annual table can be traced to the facts that earned or lost it.

| criterion | max | rate |
| --- | --- | --- |
| catalog complete | 15 | published resources with a summary and at least one field ÷ published resources |
| catalog current | 15 | update obligations due in the year met by their due date ÷ obligations due |
| monthly reports | 15 | monthly reports of the year submitted by their due date ÷ (reports + reminders for missing ones) |
| reviews on time | 15 | review steps due in the year decided by their deadline ÷ (decided + still open past deadline) |
| data quality | 15 | mean quality score (0–1) of the year's loads of the department's resources |
| corrections | 10 | corrections opened in the year answered by their deadline ÷ corrections due |
| incidents | 10 | 10 less 10/6/3/1 points per 特别重大/重大/较大/一般 security incident involving the department |
| evaluation results | 5 | rectification items and meeting decisions due in the year closed by their deadline ÷ items due |

A criterion with nothing to measure in the year (no obligation due, no review asked) earns its full points and
says so; the absence of a catalog does not (it is the first duty).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.utils import timezone

from regshare.core.models import Department

INCIDENT_POINTS = {"especially_major": 10, "major": 6, "large": 3, "general": 1}
ROWS_SHOWN = 50


@dataclass
class Criterion:
    code: str
    name: str
    maximum: float
    score: float = 0.0
    rate: float | None = None
    basis: str = ""
    facts: list[tuple[str, object]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)


@dataclass
class DepartmentScore:
    department: Department
    criteria: list[Criterion]

    @property
    def total(self) -> float:
        return round(sum(c.score for c in self.criteria), 1)


def _on_time(done_at: dt.datetime | None, due: dt.date) -> bool:
    return done_at is not None and timezone.localtime(done_at).date() <= due


def _rated(criterion: Criterion, good: int, total: int, none_text: str, full_when_none: bool = True) -> Criterion:
    if total == 0:
        criterion.score = criterion.maximum if full_when_none else 0.0
        criterion.basis = none_text
        return criterion
    criterion.rate = good / total
    criterion.score = round(criterion.maximum * criterion.rate, 2)
    criterion.basis = f"{good} / {total} = {criterion.rate:.1%}"
    return criterion


def _catalog_complete(department: Department, year: int, today: dt.date) -> Criterion:
    from regshare.catalog.models import Resource, Status

    c = Criterion("catalog", "目录完整", 15, headers=["资源代码", "资源名称", "摘要", "数据项数", "完整"])
    resources = list(Resource.objects.filter(provider=department, status=Status.PUBLISHED)
                     .annotate(n_fields=Count("fields")).order_by("code"))
    complete = [r for r in resources if r.summary.strip() and r.n_fields > 0]
    c.facts = [("已发布资源", len(resources)), ("摘要和数据项齐全", len(complete))]
    c.rows = [[r.code, r.name, "有" if r.summary.strip() else "缺", r.n_fields,
               "是" if r in complete else "否"] for r in resources[:ROWS_SHOWN]]
    return _rated(c, len(complete), len(resources), "未编制发布数据资源目录", full_when_none=False)


def _catalog_current(department: Department, year: int, today: dt.date) -> Criterion:
    from regshare.catalog.models import UpdateObligation

    c = Criterion("current", "目录及时更新", 15, headers=["变化发生日期", "更新期限", "完成时间", "按时"])
    due = list(UpdateObligation.objects.filter(department=department, due_date__year=year, due_date__lte=today)
               .order_by("due_date"))
    good = [o for o in due if _on_time(o.fulfilled_at, o.due_date)]
    c.facts = [("本年到期的目录更新义务", len(due)), ("按期完成", len(good))]
    c.rows = [[o.changed_on, o.due_date, timezone.localtime(o.fulfilled_at).strftime("%Y-%m-%d") if o.fulfilled_at
               else "未完成", "是" if o in good else "否"] for o in due[:ROWS_SHOWN]]
    return _rated(c, len(good), len(due), "本年没有到期的目录更新义务")


def _monthly_reports(department: Department, year: int, today: dt.date) -> Criterion:
    from regshare.ingest.models import DutyReminder, MonthlyReport

    c = Criterion("monthly", "月度报送按时", 15, headers=["资源", "所属月份", "报送期限", "报送时间", "按时"])
    reports = list(MonthlyReport.objects.filter(resource__provider=department, period__year=year)
                   .select_related("resource").order_by("period", "resource__code"))
    reported = {(r.resource_id, r.period) for r in reports}
    # A month reminded as overdue and still not reported counts as a missed report (once per resource and month).
    missed = {(resource_id, period) for resource_id, period in DutyReminder.objects.filter(
        resource__provider=department, period__year=year, overdue=True).values_list("resource_id", "period")}
    reminders = sorted(missed - reported)
    good = [r for r in reports if _on_time(r.submitted_at, r.due_date)]
    c.facts = [("本年报送", len(reports)), ("按时报送", len(good)), ("催报后仍未报送", len(reminders))]
    c.rows = [[r.resource.code, r.period.strftime("%Y-%m"), r.due_date,
               timezone.localtime(r.submitted_at).strftime("%Y-%m-%d"), "是" if r in good else "否"]
              for r in reports[:ROWS_SHOWN]]
    return _rated(c, len(good), len(reports) + len(reminders), "本年没有月度报送义务")


def _reviews(department: Department, year: int, today: dt.date) -> Criterion:
    from regshare.exchange.models import ReviewStep

    c = Criterion("reviews", "审核及时", 15, headers=["申请编号", "环节", "办理期限", "办理时间", "按时"])
    steps = list(ReviewStep.objects.filter(department=department, deadline__year=year)
                 .filter(Q(decided_at__isnull=False) | Q(deadline__lt=today))
                 .select_related("application").order_by("deadline"))
    good = [s for s in steps if _on_time(s.decided_at, s.deadline)]
    c.facts = [("本年到期的审核环节", len(steps)), ("按期办理", len(good))]
    c.rows = [[s.application.number, s.get_stage_display(), s.deadline,
               timezone.localtime(s.decided_at).strftime("%Y-%m-%d") if s.decided_at else "未办理",
               "是" if s in good else "否"] for s in steps[:ROWS_SHOWN]]
    return _rated(c, len(good), len(steps), "本年没有需要本部门审核的共享申请")


def _quality(department: Department, year: int, today: dt.date) -> Criterion:
    from regshare.ingest.models import QualityReport

    c = Criterion("quality", "数据质量", 15, headers=["资源", "生成时间", "完整性", "有效性", "唯一性", "及时性", "综合得分"])
    reports = QualityReport.objects.filter(resource__provider=department, created_at__year=year)
    mean = reports.aggregate(avg=Avg("score"))["avg"]
    shown = list(reports.select_related("resource").order_by("-created_at")[:ROWS_SHOWN])
    c.rows = [[r.resource.code, timezone.localtime(r.created_at).strftime("%Y-%m-%d"), round(r.completeness, 3),
               round(r.validity, 3), round(r.uniqueness, 3), round(r.timeliness, 3), round(r.score, 3)]
              for r in shown]
    c.facts = [("本年质量报告", reports.count()), ("平均综合得分", round(mean, 4) if mean is not None else "—")]
    if mean is None:
        c.score, c.basis = c.maximum, "本年没有数据归集"
    else:
        c.rate = float(mean)
        c.score = round(c.maximum * c.rate, 2)
        c.basis = f"平均得分 {c.rate:.3f} × {c.maximum:g}"
    return c


def _corrections(department: Department, year: int, today: dt.date) -> Criterion:
    from regshare.exchange.models import Correction

    c = Criterion("corrections", "纠错答复及时", 10, headers=["资源", "反馈部门", "反馈日期", "校核期限", "答复时间", "按时"])
    items = list(Correction.objects.filter(resource__provider=department, opened_on__year=year)
                 .filter(Q(answered_at__isnull=False) | Q(deadline__lt=today))
                 .select_related("resource", "reporter").order_by("opened_on"))
    good = [x for x in items if _on_time(x.answered_at, x.deadline)]
    c.facts = [("本年到期的纠错", len(items)), ("按期答复", len(good))]
    c.rows = [[x.resource.code, x.reporter.name, x.opened_on, x.deadline,
               timezone.localtime(x.answered_at).strftime("%Y-%m-%d") if x.answered_at else "未答复",
               "是" if x in good else "否"] for x in items[:ROWS_SHOWN]]
    return _rated(c, len(good), len(items), "本年没有针对本部门数据的纠错")


def _incidents(department: Department, year: int, today: dt.date) -> Criterion:
    from regshare.incidents.models import Incident

    c = Criterion("incidents", "安全事件", 10, headers=["事件编号", "事件名称", "等级", "发现时间", "扣分"])
    items = list(Incident.objects.filter(Q(department=department) | Q(departments=department),
                                         discovered_at__year=year).distinct().order_by("discovered_at"))
    lost = sum(INCIDENT_POINTS.get(i.grade, 1) for i in items)
    c.score = max(0.0, c.maximum - lost)
    c.basis = f"{c.maximum:g} − {lost}" if items else "本年没有涉及本部门的安全事件"
    c.facts = [("本年涉及的安全事件", len(items)), ("扣分", lost)]
    c.rows = [[i.number, i.title, i.get_grade_display(), timezone.localtime(i.discovered_at).strftime("%Y-%m-%d"),
               INCIDENT_POINTS.get(i.grade, 1)] for i in items[:ROWS_SHOWN]]
    return c


def _evaluation_results(department: Department, year: int, today: dt.date) -> Criterion:
    from .models import Rectification, RectificationStatus

    c = Criterion("rectification", "评估整改", 5, headers=["编号", "事项", "时限", "销号时间", "按时"])
    items = list(Rectification.objects.filter(department=department, deadline__year=year, deadline__lt=today)
                 .order_by("deadline"))
    good = [r for r in items if r.status == RectificationStatus.CLOSED and _on_time(r.closed_at, r.deadline)]
    c.facts = [("本年到期的整改事项和会议议定事项", len(items)), ("按期销号", len(good))]
    c.rows = [[r.number, r.problem[:60], r.deadline,
               timezone.localtime(r.closed_at).strftime("%Y-%m-%d") if r.closed_at else "未销号",
               "是" if r in good else "否"] for r in items[:ROWS_SHOWN]]
    return _rated(c, len(good), len(items), "本年没有到期的整改事项")


CRITERIA = (_catalog_complete, _catalog_current, _monthly_reports, _reviews, _quality, _corrections, _incidents,
            _evaluation_results)


def score_department(department: Department, year: int, today: dt.date) -> DepartmentScore:
    return DepartmentScore(department, [criterion(department, year, today) for criterion in CRITERIA])


def assessed_departments():
    return Department.objects.filter(active=True, level=Department.Level.DEPARTMENT).order_by("code")


def annual_table(year: int, today: dt.date) -> list[DepartmentScore]:
    """Every department's score of the year, best first (the year up to ``today`` when it is the current one)."""
    scores = [score_department(d, year, today) for d in assessed_departments()]
    return sorted(scores, key=lambda s: (-s.total, s.department.code))
