"""The rules of market-access effectiveness evaluation. Every state change goes through a function here: it
checks the permission, writes the change and its audit record in one transaction."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from regshare.core import audit, uploads, workflow
from regshare.core.clock import today_or
from regshare.core.codes import clean_uscc, uscc_error
from regshare.core.dashboard import Figure, Series
from regshare.core.models import Department
from regshare.core.permissions import Principal, require
from regshare.core.services import notify_department

from . import ahp, fuzzy
from .indicators import CALCULATORS, STANDARD, Window
from .models import (
    AnalysisKind,
    AnalysisTopic,
    BuildState,
    CommenterKind,
    Direction,
    Evaluation,
    Indicator,
    IndicatorGroup,
    IndicatorValue,
    Meeting,
    MeetingKind,
    Rectification,
    RectificationStatus,
    Report,
    ReportComment,
    ReportStatus,
    SourceKind,
    Submission,
    SubmissionStatus,
    Survey,
    SurveyResult,
    TaskKind,
    TopicFeedback,
    TopicStatus,
    Weighting,
)

GROUP_LEVEL = "group"

# ----------------------------------------------------------------------------- periods

_PERIOD = re.compile(r"^(\d{4})(?:H([12])|Q([1-4])|-(0[1-9]|1[0-2]))?$")


def period_window(code: str) -> Window:
    """``2026`` · ``2026H1`` · ``2026Q2`` · ``2026-05`` → the first and last day of that period."""
    match = _PERIOD.match(code or "")
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationError(f"统计期“{(code or '')[:20]}”格式不正确,应如 2026、2026H1(半年)、2026Q2(季度)或 2026-05(月份)",
                              code="bad_period")
    year, half, quarter, month = match.groups()
    year = int(year)
    if half:
        first, last = (1, 6) if half == "1" else (7, 12)
    elif quarter:
        first = 3 * int(quarter) - 2
        last = first + 2
    elif month:
        first = last = int(month)
    else:
        first, last = 1, 12
    return Window(dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1]))


def period_label(code: str) -> str:
    match = _PERIOD.match(code or "")
    if not match:
        return code
    year, half, quarter, month = match.groups()
    if half:
        return f"{year}年{'上' if half == '1' else '下'}半年"
    if quarter:
        return f"{year}年第{quarter}季度"
    if month:
        return f"{year}年{int(month)}月"
    return f"{year}年度"


# ----------------------------------------------------------------------------- indicators

def install_standard(actor: object, departments: dict[str, Department]) -> int:
    """Install or refresh the seed-004 indicator system; ``departments`` maps a department suffix (FGJ, XZSP…)
    to the district's department."""
    count = 0
    with transaction.atomic():
        for position, row in enumerate(STANDARD, start=1):
            (code, name, group, formula, source, detail, calc, unit, direction, period, suffix, thresholds) = row
            department = departments.get(suffix)
            if department is None:
                continue
            Indicator.objects.update_or_create(code=code, defaults={
                "name": name, "group": group, "formula": formula, "source": source, "source_detail": detail,
                "calculator": calc, "unit": unit, "direction": direction, "period": period,
                "department": department, "thresholds": thresholds, "position": position})
            count += 1
        audit.record(actor, "evaluation.indicators.install", "evaluation:indicators", {"count": count})
    return count


def _department_by_name() -> dict[str, Department]:
    """Datasets name the handling department in words (办理部门); both its name and short name match."""
    found: dict[str, Department] = {}
    for department in Department.objects.filter(active=True):
        found[department.name] = department
        if department.short_name:
            found.setdefault(department.short_name, department)
    return found


def compute(principal: Principal | str, period: str) -> dict:
    """Compute every active system-collected indicator for ``period`` from the platform's shared data; the
    period's earlier computed figures are replaced. Returns what was computed and why anything was not."""
    if not isinstance(principal, str):
        require(principal, "evaluation.manage")
    window = period_window(period)
    names = _department_by_name()
    done: dict[str, int] = {}
    missing: dict[str, str] = {}
    with transaction.atomic():
        for indicator in Indicator.objects.filter(active=True, source=SourceKind.COMPUTED).order_by("position"):
            entry = CALCULATORS.get(indicator.calculator)
            if entry is None:
                missing[indicator.code] = f"未知的计算方法“{indicator.calculator}”"
                continue
            result = entry[1](window)
            IndicatorValue.objects.filter(indicator=indicator, period=period, origin=SourceKind.COMPUTED).delete()
            if not result.figures:
                missing[indicator.code] = result.missing or "无数据"
                continue
            rows = []
            for figure in result.figures:
                department = names.get(figure.department) if figure.department else None
                if figure.department and department is None:
                    continue  # a handling department the platform does not know: only in the overall figure
                rows.append(IndicatorValue(indicator=indicator, period=period, department=department,
                                           industry=figure.industry[:40], value=figure.value,
                                           origin=SourceKind.COMPUTED, facts=figure.facts))
            IndicatorValue.objects.bulk_create(rows)
            done[indicator.code] = len(rows)
        audit.record(principal, "evaluation.compute", f"evaluation:period:{period}",
                     {"computed": done, "missing": missing})
    return {"period": period, "computed": done, "missing": missing}


def overall_values(period: str) -> dict[int, IndicatorValue]:
    return {v.indicator_id: v for v in IndicatorValue.objects.filter(period=period, department__isnull=True,
                                                                     industry="")}


# ----------------------------------------------------------------------------- department submissions

def submissions_for(principal: Principal):
    return Submission.objects.visible_to(principal).select_related("indicator", "department", "created_by")


def create_submission(principal: Principal, indicator: Indicator, period: str, value: float, basis: str,
                      submit: bool = True) -> Submission:
    """A department reports a figure no system holds (seed 004 四(一)1); submitted at once unless a draft."""
    require(principal, "evaluation.submit")
    period_window(period)
    department = principal.department
    if department is None or principal.user is None:
        raise PermissionDenied("只有部门工作人员可以报送评估数据")
    if indicator.source != SourceKind.SUBMISSION:
        raise ValidationError(f"指标 {indicator.code} {indicator.name} 的数据来源为{indicator.get_source_display()},"
                              "不由部门报送", code="not_submitted_indicator")
    if not (basis or "").strip():
        raise ValidationError("请填写数据说明(来源、口径与计算过程)", code="basis_required")
    check_value(indicator, value)
    if Submission.objects.filter(indicator=indicator, period=period, department=department,
                                 status__in=(SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED)).exists():
        raise ValidationError(f"本部门已报送 {indicator.code} {period_label(period)} 的数据(待审核或已采用)",
                              code="already_submitted")
    with transaction.atomic():
        item = Submission.objects.create(indicator=indicator, period=period, department=department, value=value,
                                         basis=basis.strip(), created_by=principal.user)
        audit.record(principal, "evaluation.submission.create", item, {"indicator": indicator.code, "period": period,
                                                                       "value": value})
        if submit:
            item = workflow.perform(principal, item, "submit")
    return item


def check_value(indicator: Indicator, value: float) -> None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        raise ValidationError("指标值须为数字", code="bad_value")
    if value < 0:
        raise ValidationError("指标值不能为负数", code="bad_value")
    if indicator.unit == "%" and value > 100:
        raise ValidationError("百分比指标的值不能超过 100", code="bad_value")


def submit(principal: Principal, item: Submission, value: float | None = None, basis: str | None = None) -> Submission:
    """Submit a draft, or resubmit a returned figure (optionally corrected)."""
    return workflow.perform(principal, item, "submit", value=value, basis=basis or "")


def review(principal: Principal, item: Submission, approve: bool, comment: str = "") -> Submission:
    """区发改 reviews a submission (seed 004 五(一)2): adopted figures become the indicator's value."""
    return workflow.perform(principal, item, "approve" if approve else "return", comment=comment or "")


# ----------------------------------------------------------------------------- rectification

def rectifications_for(principal: Principal):
    return Rectification.objects.visible_to(principal).select_related("department", "evaluation")


def create_rectification(principal: Principal, problem: str, requirement: str, department: Department,
                         deadline: dt.date, evaluation: Evaluation | None = None,
                         meeting: Meeting | None = None) -> Rectification:
    """区发改 puts a problem on the problem list with its responsible department and deadline (seed 004 七(二)1);
    a meeting's decision is tracked the same way."""
    require(principal, "evaluation.manage")
    if not (problem or "").strip() or not (requirement or "").strip():
        raise ValidationError("请填写存在问题和整改要求", code="problem_required")
    # A meeting recorded after the fact may carry a deadline already past (the task is then overdue at once).
    if meeting is not None and deadline < meeting.held_on:
        raise ValidationError("完成时限不能早于会议召开日期", code="bad_deadline")
    if meeting is None and deadline <= timezone.localdate():
        raise ValidationError("整改时限须晚于今天", code="bad_deadline")
    with transaction.atomic():
        year = timezone.localdate().year
        count = Rectification.objects.filter(number__startswith=f"ZG{year}-").count()
        item = Rectification.objects.create(
            number=f"ZG{year}-{count + 1:04d}", evaluation=evaluation, meeting=meeting,
            kind=TaskKind.MEETING if meeting is not None else TaskKind.PROBLEM, problem=problem.strip(),
            requirement=requirement.strip(), department=department, deadline=deadline, created_by=principal.user)
        audit.record(principal, "evaluation.rectification.create", item,
                     {"department": department.code, "deadline": deadline.isoformat()})
        notify_department(department, "evaluation.rectification", f"整改事项 {item.number} 已交办",
                          f"{item.problem[:100]};整改时限 {deadline:%Y-%m-%d}", item.get_absolute_url())
    return item


@dataclass
class Decision:
    """One decision of a meeting's minutes: what, which department, by when."""

    task: str
    department: Department
    deadline: dt.date


def record_meeting(principal: Principal, kind: str, title: str, held_on: dt.date, minutes: str,
                   attendees: Iterable[Department], decisions: list[Decision]) -> Meeting:
    """Record a coordination meeting (seed 004 六(三)2, 000 §6); every decision becomes a tracked task of its
    department with a deadline, escalated like a rectification when overdue."""
    require(principal, "evaluation.manage")
    if kind not in MeetingKind.values:
        raise ValidationError("会议类型不正确", code="bad_kind")
    if not (title or "").strip() or not (minutes or "").strip():
        raise ValidationError("请填写会议名称和会议纪要", code="minutes_required")
    if held_on > timezone.localdate():
        raise ValidationError("召开日期不能晚于今天", code="bad_date")
    if principal.department is None:
        raise PermissionDenied("只有部门工作人员可以记录协调会议")
    with transaction.atomic():
        meeting = Meeting.objects.create(kind=kind, title=title.strip()[:200], held_on=held_on,
                                         convener=principal.department, minutes=minutes.strip(),
                                         created_by=principal.user)
        meeting.attendees.set(list(attendees))
        audit.record(principal, "evaluation.meeting.record", meeting, {"kind": kind, "decisions": len(decisions)})
        for decision in decisions:
            create_rectification(principal, decision.task, f"落实{meeting.title}议定事项", decision.department,
                                 decision.deadline, meeting=meeting)
    return meeting


def parse_decisions(text: str) -> list[Decision]:
    """Decisions typed one per line as ``部门编码或名称 | 任务 | 截止日期``."""
    decisions, errors = [], []
    departments = {d.code: d for d in Department.objects.filter(active=True)}
    departments.update({d.name: d for d in departments.values()})
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("|", "|").split("|")]
        if len(parts) != 3:
            errors.append(f"第 {number} 行应为「部门 | 任务 | 截止日期」")
            continue
        department = departments.get(parts[0])
        try:
            deadline = dt.date.fromisoformat(parts[2])
        except ValueError:
            deadline = None
        if department is None or deadline is None or not parts[1]:
            errors.append(f"第 {number} 行:部门“{parts[0][:20]}”不存在、任务为空或日期不是 YYYY-MM-DD")
            continue
        decisions.append(Decision(parts[1], department, deadline))
    if errors:
        raise ValidationError(";".join(errors[:10]), code="bad_decisions")
    return decisions


def meetings_for(principal: Principal):
    return Meeting.objects.visible_to(principal).select_related("convener").prefetch_related("tasks__department")


def escalate_overdue(today: dt.date | None = None) -> int:
    """Overdue rectification items are escalated once (重点督办, seed 004 七(二)3): flagged, audited, and the
    responsible department is told."""
    today = today or timezone.localdate()
    count = 0
    overdue = Rectification.objects.exclude(status=RectificationStatus.CLOSED).filter(
        deadline__lt=today, escalated_at__isnull=True).select_related("department")
    for item in overdue:
        with transaction.atomic():
            if not Rectification.objects.filter(pk=item.pk, escalated_at__isnull=True).update(
                    escalated_at=timezone.now()):
                continue
            audit.record("system", "evaluation.rectification.escalate", item,
                         {"deadline": item.deadline.isoformat(), "status": item.status})
            notify_department(item.department, "evaluation.rectification", f"整改事项 {item.number} 逾期未完成,列入督办",
                              f"整改时限 {item.deadline:%Y-%m-%d} 已过,请立即整改并报告", item.get_absolute_url())
            count += 1
    return count


# ----------------------------------------------------------------------------- surveys

GRADE_HEADERS = {"优": 0, "非常满意": 0, "良": 1, "满意": 1, "中": 2, "基本满意": 2, "一般": 2, "差": 3, "不满意": 3}


def import_survey(principal: Principal, name: str, period: str, content: bytes, file_name: str = "") -> Survey:
    """Import a survey's results from Excel: one row per indicator (and industry) with the number of answers
    in each grade. Header: 指标代码 | 行业 (optional) | 优 | 良 | 中 | 差 (or 非常满意 | 满意 | 基本满意 | 不满意).
    The whole file is refused, with every bad row named, if any row is wrong."""
    require(principal, "evaluation.manage")
    period_window(period)
    if not (name or "").strip():
        raise ValidationError("请填写问卷名称", code="name_required")
    grid = _sheet(content)
    header_at, columns = None, {}
    for index, row in enumerate(grid[:20]):
        cells = [str(c).strip() for c in row]
        if "指标代码" in cells:
            header_at = index
            columns = {"code": cells.index("指标代码")}
            if "行业" in cells:
                columns["industry"] = cells.index("行业")
            for position, text in enumerate(cells):
                if text in GRADE_HEADERS:
                    columns.setdefault(f"g{GRADE_HEADERS[text]}", position)
            break
    if header_at is None or any(f"g{k}" not in columns for k in range(4)):
        raise ValidationError("未找到表头:须有“指标代码”列和“优、良、中、差”(或“非常满意、满意、基本满意、不满意”)四列",
                              code="bad_header")
    indicators = {i.code: i for i in Indicator.objects.filter(source=SourceKind.SURVEY)}
    errors, parsed = [], []
    for index, row in enumerate(grid[header_at + 1:], start=header_at + 2):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if not any(cells):
            continue
        code = cells[columns["code"]] if columns["code"] < len(cells) else ""
        if code not in indicators:
            errors.append(f"第 {index} 行:指标代码“{code[:20]}”不是问卷调查类指标")
            continue
        counts = []
        for k in range(4):
            text = cells[columns[f"g{k}"]] if columns[f"g{k}"] < len(cells) else ""
            try:
                number = float(text or 0)
            except ValueError:
                number = -1
            if number < 0 or number != int(number) or number > 10**7:
                errors.append(f"第 {index} 行:人数“{text[:20]}”须为非负整数")
                break
            counts.append(int(number))
        else:
            if sum(counts) == 0:
                errors.append(f"第 {index} 行:有效答卷数为 0")
                continue
            industry = cells[columns["industry"]][:40] if "industry" in columns and columns["industry"] < len(cells) else ""
            parsed.append((indicators[code], industry, counts))
    if errors:
        raise ValidationError(";".join(errors[:10]) + ("等" if len(errors) > 10 else ""), code="bad_rows")
    if not parsed:
        raise ValidationError("文件中没有问卷结果行", code="empty_file")
    with transaction.atomic():
        survey = Survey.objects.create(name=name.strip()[:200], period=period, grades=list(fuzzy.DEFAULT_GRADES),
                                       file_name=(file_name or "")[:200], imported_by=principal.user)
        totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for indicator, industry, counts in parsed:
            SurveyResult.objects.create(survey=survey, indicator=indicator, industry=industry, counts=counts,
                                        respondents=sum(counts))
            for key in ((indicator.pk, ""), (indicator.pk, industry)) if industry else ((indicator.pk, ""),):
                totals[key] = [a + b for a, b in zip(totals[key], counts, strict=True)]
        for (indicator_id, industry), counts in totals.items():
            IndicatorValue.objects.update_or_create(
                indicator_id=indicator_id, period=period, department=None, industry=industry,
                defaults={"value": round((counts[0] + counts[1]) / sum(counts) * 100, 2), "origin": SourceKind.SURVEY,
                          "facts": {"各等级人数": dict(zip(fuzzy.DEFAULT_GRADES, counts, strict=True)),
                                    "有效答卷数": sum(counts), "问卷": survey.pk}})
        audit.record(principal, "evaluation.survey.import", survey, {"rows": len(parsed), "file": file_name[:200]})
    return survey


def _sheet(content: bytes) -> list[list]:
    from python_calamine import CalamineWorkbook

    if len(content) > uploads.max_upload_bytes():
        raise ValidationError("文件过大", code="file_too_large")
    uploads.check_zip_upload(io.BytesIO(content))
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for every unreadable file
        raise ValidationError("无法读取该文件,请上传 Excel(.xlsx / .xls)格式的问卷结果", code="unreadable_file") from exc


def survey_counts(indicator: Indicator, period: str) -> list[int] | None:
    value = IndicatorValue.objects.filter(indicator=indicator, period=period, department__isnull=True,
                                          industry="", origin=SourceKind.SURVEY).first()
    if value is None:
        return None
    counts = value.facts.get("各等级人数") or {}
    return [int(counts.get(g, 0)) for g in fuzzy.DEFAULT_GRADES]


# ----------------------------------------------------------------------------- AHP and fuzzy evaluation

class AhpRefused(ValidationError):
    """CR ≥ 0.1 (or a malformed matrix); ``extra`` carries cr / worst / suggested for the API."""

    def __init__(self, message: str, code: str, extra: dict | None = None) -> None:
        super().__init__(message, code=code)
        self.extra = extra or {}


def create_weighting(principal: Principal, name: str, level: str, criteria: list[str], matrices: object,
                     ri_table: str = ahp.DEFAULT_RI_TABLE) -> Weighting:
    """Record one level's AHP judgement. ``level`` is ``group`` (the five groups compared) or a group code
    (its indicators compared); ``criteria`` are group codes or indicator codes in matrix order."""
    require(principal, "evaluation.manage")
    if not (name or "").strip():
        raise ValidationError("请填写名称", code="name_required")
    if level == GROUP_LEVEL:
        unknown = [c for c in criteria if c not in IndicatorGroup.values]
    elif level in IndicatorGroup.values:
        known = set(Indicator.objects.filter(group=level).values_list("code", flat=True))
        unknown = [c for c in criteria if c not in known]
    else:
        raise ValidationError(f"层级“{str(level)[:20]}”不存在:应为 group 或指标类别代码", code="bad_level")
    if unknown or len(set(criteria)) != len(criteria) or len(criteria) < 1:
        raise ValidationError(f"比较对象不正确:{'、'.join(unknown[:5]) or '有重复或为空'}", code="bad_criteria")
    labels = _criteria_labels(level, criteria)
    try:
        result = ahp.weigh(matrices, labels, ri_table=ri_table)
    except ahp.Inconsistent as exc:
        raise AhpRefused(exc.message, exc.code, {"cr": exc.cr, "worst": list(exc.worst),
                                                 "suggested": exc.suggested}) from exc
    except ahp.AhpError as exc:
        raise AhpRefused(str(exc), exc.code) from exc
    several = result.experts > 1
    with transaction.atomic():
        item = Weighting.objects.create(
            name=name.strip()[:200], level=level, criteria=list(criteria),
            matrices=matrices if several else [matrices], matrix=result.matrix, ri_table=result.ri_table,
            ri=result.ri, weights=result.weights, lambda_max=result.lambda_max, ci=result.ci, cr=result.cr,
            created_by=principal.user)
        audit.record(principal, "evaluation.weighting.create", item,
                     {"level": level, "cr": result.cr, "ri_table": result.ri_table, "experts": result.experts})
    return item


def _criteria_labels(level: str, criteria: Iterable[str]) -> list[str]:
    if level == GROUP_LEVEL:
        return [IndicatorGroup(c).label for c in criteria]
    names = dict(Indicator.objects.filter(code__in=list(criteria)).values_list("code", "name"))
    return [names.get(c, c) for c in criteria]


def latest_weighting(level: str, criteria: list[str] | None = None) -> Weighting | None:
    for item in Weighting.objects.filter(level=level).order_by("-created_at", "-id"):
        if criteria is None or sorted(item.criteria) == sorted(criteria):
            return item
    return None


def membership_of(indicator: Indicator, value: IndicatorValue | None, period: str, grades: int) -> list[float]:
    if indicator.source == SourceKind.SURVEY:
        counts = survey_counts(indicator, period)
        if counts is not None and grades == len(counts):
            return fuzzy.membership_from_counts(counts, grades)
    if value is None:
        raise ValidationError(f"指标 {indicator.code} {indicator.name} 缺少 {period_label(period)} 的数据",
                              code="missing_value")
    thresholds = indicator.thresholds or []
    if len(thresholds) != grades:
        raise ValidationError(f"指标 {indicator.code} 须设置 {grades} 个分级标准值", code="missing_thresholds")
    if indicator.direction == Direction.NEGATIVE and thresholds != sorted(thresholds):
        raise ValidationError(f"指标 {indicator.code} 越小越好,分级标准值须从优到差递增", code="bad_thresholds")
    if indicator.direction == Direction.POSITIVE and thresholds != sorted(thresholds, reverse=True):
        raise ValidationError(f"指标 {indicator.code} 越大越好,分级标准值须从优到差递减", code="bad_thresholds")
    if len(set(thresholds)) != len(thresholds):
        raise ValidationError(f"指标 {indicator.code} 的分级标准值不能重复", code="bad_thresholds")
    return fuzzy.membership_from_thresholds(value.value, thresholds)


def run_evaluation(principal: Principal, period: str, name: str = "", weighting: Weighting | None = None,
                   operator: str = fuzzy.DEFAULT_OPERATOR) -> Evaluation:
    """Two-level fuzzy comprehensive evaluation (seed 004 五(二)3): each group's indicators by their AHP weights
    (equal weights where the group has no judgement yet), then the groups by the group-level AHP weights."""
    require(principal, "evaluation.manage")
    period_window(period)
    try:
        op = fuzzy.operator_code(operator)
    except fuzzy.FuzzyError as exc:
        raise ValidationError(str(exc), code=exc.code) from exc
    weighting = weighting or latest_weighting(GROUP_LEVEL)
    if weighting is None or weighting.level != GROUP_LEVEL:
        raise ValidationError("请先用层次分析法确定五类指标(准则层)的权重", code="no_weighting")
    grades = list(fuzzy.DEFAULT_GRADES)
    values = overall_values(period)
    groups, rows = [], []
    missing = []
    for code, group_weight in zip(weighting.criteria, weighting.weights, strict=True):
        indicators = list(Indicator.objects.filter(group=code, active=True).order_by("position", "code"))
        if not indicators:
            raise ValidationError(f"指标类别“{IndicatorGroup(code).label}”没有启用的指标", code="empty_group")
        codes = [i.code for i in indicators]
        inner = latest_weighting(code, codes)
        if inner is not None:
            by_code = dict(zip(inner.criteria, inner.weights, strict=True))
            weights, basis = [by_code[c] for c in codes], f"层次分析法(CR = {inner.cr:.4f})"
        else:
            weights, basis = [1 / len(codes)] * len(codes), "等权(尚无该类指标的判断矩阵)"
        memberships, details = [], []
        for indicator, weight in zip(indicators, weights, strict=True):
            try:
                row = membership_of(indicator, values.get(indicator.pk), period, len(grades))
            except ValidationError as exc:
                missing.append(exc.messages[0])
                continue
            memberships.append(row)
            value = values.get(indicator.pk)
            details.append({"code": indicator.code, "name": indicator.name, "unit": indicator.unit,
                            "value": value.value if value else None, "weight": round(weight, 6),
                            "membership": [round(x, 4) for x in row]})
        if missing:
            continue
        result = fuzzy.evaluate(weights, memberships, grades, op)
        rows.append(result.result)
        groups.append({"code": code, "label": IndicatorGroup(code).label, "weight": group_weight, "basis": basis,
                       "result": result.result, "grade": result.grade, "score": result.score,
                       "indicators": details})
    if missing:
        raise ValidationError("无法评价:" + ";".join(missing[:8]) + ("等" if len(missing) > 8 else ""),
                              code="missing_value")
    overall = fuzzy.evaluate(weighting.weights, rows, grades, op)
    with transaction.atomic():
        item = Evaluation.objects.create(
            name=(name or f"{period_label(period)}市场准入效能综合评价").strip()[:200], period=period, operator=op,
            grades=grades, weighting=weighting, result=overall.result, grade=overall.grade, score=overall.score,
            detail={"groups": groups, "ri_table": weighting.ri_table, "group_cr": weighting.cr},
            created_by=principal.user)
        audit.record(principal, "evaluation.evaluate", item, {"period": period, "grade": overall.grade,
                                                              "score": overall.score, "operator": op})
    return item


# ----------------------------------------------------------------------------- comparisons

def known_periods() -> list[str]:
    return sorted(set(IndicatorValue.objects.values_list("period", flat=True)))


def compare(dimension: str, period: str = "", indicator_codes: list[str] | None = None) -> dict:
    """A table and its chart: ``period`` (every period, overall figures), ``department`` or ``industry`` (one
    period, figures broken down). Rows are indicators; columns the periods, departments or industries."""
    if dimension not in ("period", "department", "industry"):
        raise ValidationError("对比维度应为 period(时期)、department(部门)或 industry(行业)", code="bad_dimension")
    values = IndicatorValue.objects.select_related("indicator", "department").filter(indicator__active=True)
    if indicator_codes:
        values = values.filter(indicator__code__in=indicator_codes)
    if dimension == "period":
        values = values.filter(department__isnull=True, industry="")
    else:
        period_window(period)
        values = values.filter(period=period)
        values = values.filter(department__isnull=False) if dimension == "department" else values.exclude(industry="")
    columns: list[str] = []
    table: dict[str, dict] = {}
    for v in values.order_by("indicator__position", "indicator__code"):
        column = {"period": v.period, "department": v.department.name if v.department else "",
                  "industry": v.industry}[dimension]
        if column not in columns:
            columns.append(column)
        row = table.setdefault(v.indicator.code, {"code": v.indicator.code, "name": v.indicator.name,
                                                   "unit": v.indicator.unit,
                                                   "direction": v.indicator.get_direction_display(), "values": {}})
        row["values"][column] = v.value
    columns.sort()
    rows = list(table.values())
    for row in rows:
        row["cells"] = [row["values"].get(c) for c in columns]
    labels = [period_label(c) for c in columns] if dimension == "period" else columns
    chart = Figure(key=f"compare-{dimension}", title="指标对比", kind="line" if dimension == "period" else "bar",
                   categories=labels,
                   series=[Series(f"{r['name']}({r['unit']})", r["cells"]) for r in rows]).spec()
    return {"dimension": dimension, "period": period, "columns": columns, "labels": labels, "rows": rows,
            "chart": chart}


def indicators_for(principal: Principal):
    return Indicator.objects.visible_to(principal).select_related("department")


def evaluations_for(principal: Principal):
    return Evaluation.objects.visible_to(principal).select_related("weighting")


def weightings_for(principal: Principal):
    return Weighting.objects.visible_to(principal)


def surveys_for(principal: Principal):
    return Survey.objects.visible_to(principal)


def values_for(principal: Principal, period: str = "", indicator: str = ""):
    items = IndicatorValue.objects.visible_to(principal).select_related("indicator", "department")
    if period:
        items = items.filter(period=period)
    if indicator:
        items = items.filter(Q(indicator__code=indicator))
    return items


# ----------------------------------------------------------------------------- reports on the public portal

REPORT_FORMATS = {"docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
                  "pdf": ("application/pdf", "pdf")}


def published_reports(q: str = "") -> QuerySet[Report]:
    """The evaluation reports approved by the district government and published, newest first. Each row has
    ``title``, ``period``, ``published_on`` and the five sections (``purpose``, ``method``, ``results``,
    ``problems``, ``suggestions``); ``has_docx`` / ``has_pdf`` say which files may be downloaded with
    ``published_report_file``. The file contents are deferred. ``q`` searches the title and the period."""
    reports = (Report.objects.filter(status=ReportStatus.PUBLISHED).defer("docx", "pdf")
               .annotate(has_docx=Q(docx__isnull=False), has_pdf=Q(pdf__isnull=False))
               .order_by("-published_on", "-id"))
    q = (q or "").replace("\x00", "").strip()[:100]
    if q:
        reports = reports.filter(Q(title__icontains=q) | Q(period__icontains=q))
    return reports


def published_report_file(report_id: int, fmt: str) -> tuple[bytes, str, str] | None:
    """``(content, file name, content type)`` of a published report's Word (``docx``) or PDF (``pdf``) file;
    None when the report is not published, the format unknown or the file not generated."""
    if fmt not in REPORT_FORMATS:
        return None
    report = Report.objects.filter(pk=report_id, status=ReportStatus.PUBLISHED).only("title", fmt).first()
    content = getattr(report, fmt, None) if report is not None else None
    if not content:
        return None
    content_type, extension = REPORT_FORMATS[fmt]
    return bytes(content), f"{report.title}.{extension}", content_type


# ----------------------------------------------------------------------------- evaluation reports (评估报告)

REPORT_TEXT_FIELDS = ("purpose", "method", "results", "problems", "suggestions")


def draft_sections(evaluation: Evaluation) -> dict[str, str]:
    """A first draft of the five sections from the evaluation's own figures; 区发改 edits it before consulting."""
    groups = evaluation.detail.get("groups", [])
    ranked = sorted(groups, key=lambda g: g["score"])
    weakest = ranked[:2]
    lines = [f"{g['label']}:等级“{g['grade']}”,得分 {g['score']:.1f}(权重 {g['weight']:.3f})" for g in groups]
    low_indicators = []
    for group in weakest:
        for item in group.get("indicators", []):
            if item.get("membership") and max(item["membership"]) == item["membership"][-1] or (
                    item.get("membership") and sum(item["membership"][2:]) >= 0.5):
                low_indicators.append(f"{item['name']}({item['value']}{item['unit']})")
    return {
        "purpose": (f"依据《柴桑区市场准入效能评估工作协调机制》,对{period_label(evaluation.period)}全区市场准入负面清单"
                    "执行、审批效能、服务质量、监管效能和市场主体满意度进行评估,查找问题,推动整改,持续优化营商环境。"),
        "method": ("采用层次分析法确定五类指标及各类内部指标的权重(判断矩阵一致性比例 CR < 0.1,准则层 CR = "
                   f"{evaluation.detail.get('group_cr', 0):.4f},RI 表 {evaluation.detail.get('ri_table', 'saaty')}),"
                   f"以模糊综合评价法({evaluation.operator} 算子)按优、良、中、差四级合成评价。数据来自平台共享的政务服务"
                   "办件、好差评、双随机抽查、行政处罚数据,部门报送经区发改审核,满意度来自问卷调查。"),
        "results": (f"综合评价等级为“{evaluation.grade}”,综合得分 {evaluation.score:.1f}。分类结果:\n" + "\n".join(lines)),
        "problems": ("得分较低的指标类别为" + "、".join(g["label"] for g in weakest) + "。" +
                     (f"主要短板指标:{'、'.join(low_indicators)}。" if low_indicators else "") +
                     "原因有待各责任部门在征求意见中补充说明。"),
        "suggestions": "\n".join(f"针对{g['label']},由责任部门制定整改措施,明确时限,纳入整改台账跟踪销号。"
                                 for g in weakest),
    }


def create_report(principal: Principal, title: str, period: str, evaluation: Evaluation | None = None,
                  sections: dict[str, str] | None = None) -> Report:
    """A draft report; without sections given, they are drafted from the evaluation's figures."""
    require(principal, "evaluation.manage")
    period_window(period)
    title = (title or "").strip()[:200]
    if not title:
        raise ValidationError("请填写报告名称", code="field_required")
    if evaluation is not None and evaluation.period != period:
        raise ValidationError("所选综合评价的统计期与报告的统计期不一致", code="period_mismatch")
    text = {**(draft_sections(evaluation) if evaluation is not None else {}),
            **{k: v for k, v in (sections or {}).items() if str(v or "").strip()}}
    missing = [Report._meta.get_field(name).verbose_name for name in REPORT_TEXT_FIELDS if not text.get(name)]
    if missing:
        raise ValidationError(f"请填写:{'、'.join(missing)}(或选择一次综合评价自动起草)", code="field_required")
    with transaction.atomic():
        report = Report.objects.create(title=title, period=period, evaluation=evaluation, created_by=principal.user,
                                       **{name: str(text[name])[:20000] for name in REPORT_TEXT_FIELDS})
        audit.record(principal, "evaluation.report.create", report, {"period": period})
    return report


def edit_report(principal: Principal, report: Report, sections: dict[str, str]) -> Report:
    """Text changes while drafting or revising after comments; the files must then be generated again."""
    require(principal, "evaluation.manage")
    if report.status not in (ReportStatus.DRAFT, ReportStatus.CONSULTING):
        raise ValidationError(f"报告“{report.get_status_display()}”,不能再修改", code="wrong_state")
    changed = {}
    for name in REPORT_TEXT_FIELDS:
        value = str(sections.get(name) or "").strip()
        if not value:
            raise ValidationError(f"{Report._meta.get_field(name).verbose_name}不能为空", code="field_required")
        if value != getattr(report, name):
            changed[name] = value[:20000]
    if changed:
        with transaction.atomic():
            Report.objects.filter(pk=report.pk).update(**changed, docx=None, pdf=None, build_state=BuildState.IDLE,
                                                       build_progress=0)
            audit.record(principal, "evaluation.report.edit", report, {"fields": sorted(changed)})
        report.refresh_from_db()
    return report


def add_comment(principal: Principal, report: Report, content: str, kind: str = "", author: str = "",
                uscc: str = "", today: dt.date | None = None) -> ReportComment:
    """A comment while the report is out for comments and before its deadline: a department's (signed in), a
    market entity's (with its valid credit code) or the public's (with a name)."""
    if report.status != ReportStatus.CONSULTING:
        raise ValidationError("该报告不在征求意见期", code="not_consulting")
    if report.comment_deadline is not None and today_or(today) > report.comment_deadline:
        raise ValidationError(f"征求意见已于 {report.comment_deadline:%Y-%m-%d} 截止", code="comments_closed")
    content = (content or "").strip()
    if not content:
        raise ValidationError("请填写意见内容", code="field_required")
    department = None
    if principal.is_authenticated and principal.department is not None and kind in ("", CommenterKind.DEPARTMENT):
        require(principal, "evaluation.comment")
        kind, department = CommenterKind.DEPARTMENT, principal.department
        author = audit.actor_name(principal)
    elif kind == CommenterKind.ENTITY:
        uscc = clean_uscc(uscc)
        error = uscc_error(uscc)
        if error:
            raise ValidationError(error, code="invalid_uscc")
    elif kind != CommenterKind.PUBLIC:
        raise ValidationError("请选择意见来源:市场主体或社会公众", code="invalid_choice")
    author = (author or "").strip()[:100]
    if not author:
        raise ValidationError("请填写提出人姓名或单位名称", code="field_required")
    with transaction.atomic():
        comment = ReportComment.objects.create(report=report, kind=kind, author=author, department=department,
                                               uscc=uscc if kind == CommenterKind.ENTITY else "",
                                               content=content[:5000])
        audit.record(principal if principal.is_authenticated else "public", "evaluation.report.comment", report,
                     {"kind": kind, "comment": comment.pk})
    return comment


def answer_comment(principal: Principal, comment: ReportComment, answer: str) -> ReportComment:
    require(principal, "evaluation.manage")
    if comment.report.status not in (ReportStatus.CONSULTING, ReportStatus.DRAFT):
        raise ValidationError("报告已报审,不能再修改意见采纳情况", code="wrong_state")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("请填写采纳情况", code="field_required")
    comment.answer = answer[:2000]
    comment.save(update_fields=["answer"])
    audit.record(principal, "evaluation.report.answer", comment.report, {"comment": comment.pk})
    return comment


def request_build(principal: Principal, report: Report) -> Report:
    """Queues the generation of the Word and PDF files; the page polls ``build_progress``."""
    require(principal, "evaluation.manage")
    if report.build_state in (BuildState.QUEUED, BuildState.RUNNING):
        raise ValidationError("报告文件正在生成,请稍候", code="already_building")
    Report.objects.filter(pk=report.pk).update(build_state=BuildState.QUEUED, build_progress=0, build_step="排队等待",
                                               build_error="")
    audit.record(principal, "evaluation.report.build", report, {})
    from . import tasks

    tasks.build_report(report.pk)
    report.refresh_from_db()
    return report


def build_report_files(report_id: int) -> str:
    """Generates and stores the files of a report, writing its progress as it goes (the background task)."""
    from . import reports

    report = Report.objects.select_related("evaluation").defer("docx", "pdf").get(pk=report_id)

    def progress(percent: int, step: str) -> None:
        Report.objects.filter(pk=report_id).update(build_state=BuildState.RUNNING, build_progress=percent,
                                                   build_step=step)

    progress(1, "准备数据")
    try:
        word, document = reports.build(report, timezone.localtime().strftime("%Y年%m月%d日 %H:%M"), progress)
    except Exception as exc:  # the page shows why the build failed instead of polling for ever
        Report.objects.filter(pk=report_id).update(build_state=BuildState.FAILED, build_step="生成失败",
                                                   build_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    Report.objects.filter(pk=report_id).update(docx=word, pdf=document, build_state=BuildState.DONE,
                                               build_progress=100, build_step="已生成", built_at=timezone.now())
    return BuildState.DONE


def report_file(principal: Principal, report: Report, fmt: str) -> tuple[bytes, str, str]:
    """A report's file for someone who may see it (the audit records the download)."""
    if fmt not in REPORT_FORMATS:
        raise ValidationError("文件格式应为 docx 或 pdf", code="bad_format")
    content = Report.objects.filter(pk=report.pk).values_list(fmt, flat=True).first()
    if not content:
        raise ValidationError("报告文件尚未生成", code="files_missing")
    audit.record(principal if principal.is_authenticated else "public", "evaluation.report.download", report,
                 {"format": fmt})
    content_type, extension = REPORT_FORMATS[fmt]
    return bytes(content), f"{report.title}.{extension}", content_type


# ----------------------------------------------------------------------------- department assessment (考核)

def _assessment_year(year: object, today: dt.date) -> int:
    try:
        value = int(str(year).strip()) if str(year or "").strip() else today.year
    except ValueError as exc:
        raise ValidationError("考核年度应为四位年份,如 2026", code="bad_year") from exc
    if not 2000 <= value <= today.year:
        raise ValidationError(f"考核年度应在 2000 至 {today.year} 之间", code="bad_year")
    return value


def assessment_table(principal: Principal, year: object = None, today: dt.date | None = None):
    """The annual data-sharing assessment of every department (``assessment.DepartmentScore``, best first)."""
    from . import assessment

    require(principal, "evaluation.view")
    today = today_or(today)
    year = _assessment_year(year, today)
    table = assessment.annual_table(year, today)
    audit.record(principal, "evaluation.assessment.view", None, {"year": year})
    return year, table


def assessment_of(principal: Principal, department: Department, year: object = None, today: dt.date | None = None):
    """One department's assessment with the facts and records behind every point."""
    from . import assessment

    require(principal, "evaluation.view")
    today = today_or(today)
    year = _assessment_year(year, today)
    score = assessment.score_department(department, year, today)
    audit.record(principal, "evaluation.assessment.view", department, {"year": year})
    return year, score


def assessment_xlsx(principal: Principal, year: object = None, today: dt.date | None = None) -> tuple[int, bytes]:
    """The annual table and, on a second sheet, the facts behind each point (formula-like text neutralised)."""
    from openpyxl import Workbook

    from regshare.core.exports import xlsx_row

    year, table = assessment_table(principal, year, today)
    book = Workbook(write_only=True)
    summary = book.create_sheet(f"{year}年度考核")
    names = [c.name for c in table[0].criteria] if table else []
    summary.append(xlsx_row(summary, ["名次", "部门", *[f"{n}" for n in names], "总分"]))
    for rank, row in enumerate(table, 1):
        summary.append(xlsx_row(summary, [rank, row.department.name, *[c.score for c in row.criteria], row.total]))
    facts = book.create_sheet("得分依据")
    facts.append(xlsx_row(facts, ["部门", "考核项", "满分", "得分", "计算", "事实"]))
    for row in table:
        for c in row.criteria:
            facts.append(xlsx_row(facts, [row.department.name, c.name, c.maximum, c.score, c.basis,
                                          ";".join(f"{label}:{value}" for label, value in c.facts)]))
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(principal, "evaluation.assessment.export", None, {"year": year})
    return year, buffer.getvalue()


# ----------------------------------------------------------------------------- analysis topics (协同分析)

def create_topic(principal: Principal, title: str, kind: str, method: str, members: Iterable[Department] = (),
                 grants: Iterable = (), params: dict | None = None, today: dt.date | None = None) -> AnalysisTopic:
    """A topic led by the principal's department. The data it uses are grants held by its group's departments
    and valid today, so every figure of the analysis comes through the sharing rules."""
    require(principal, "evaluation.manage")
    if principal.department is None:
        raise ValidationError("您的账号没有所属部门,不能牵头专题", code="no_department")
    title, method = (title or "").strip()[:200], (method or "").strip()
    if not title or not method:
        raise ValidationError("请填写专题名称和分析方法", code="field_required")
    if kind not in AnalysisKind.values:
        raise ValidationError("分析类型不正确", code="invalid_choice")
    members = [d for d in members if d.pk != principal.department.pk]
    group = {principal.department.pk, *(d.pk for d in members)}
    today = today_or(today)
    grants = list(grants)
    for grant in grants:
        if grant.consumer_id not in group:
            raise ValidationError(f"共享授权 {grant.pk}({grant.resource})不属于专题组成员部门", code="grant_not_in_group")
        if grant.status != "active" or not grant.starts_on <= today <= grant.expires_on:
            raise ValidationError(f"共享授权 {grant.pk}({grant.resource})不在有效期内", code="grant_expired")
    with transaction.atomic():
        topic = AnalysisTopic.objects.create(title=title, kind=kind, lead=principal.department, method=method,
                                             params=params or {}, created_by=principal.user)
        topic.members.set(members)
        topic.grants.set(grants)
        audit.record(principal, "evaluation.topic.create", topic, {"kind": kind, "grants": [g.pk for g in grants]})
    return topic


def add_feedback(principal: Principal, topic: AnalysisTopic, applied_to: str, effect: str) -> TopicFeedback:
    """A department that applied the topic's results says where and to what effect (after the report)."""
    require(principal, "evaluation.view")
    if principal.department is None:
        raise ValidationError("您的账号没有所属部门", code="no_department")
    if topic.status not in (TopicStatus.REPORTED, TopicStatus.CLOSED):
        raise ValidationError("专题报告报送后才能反馈应用情况", code="not_reported")
    applied_to, effect = (applied_to or "").strip()[:200], (effect or "").strip()[:5000]
    if not applied_to or not effect:
        raise ValidationError("请填写应用场景和应用效果", code="field_required")
    with transaction.atomic():
        item = TopicFeedback.objects.create(topic=topic, department=principal.department, applied_to=applied_to,
                                            effect=effect, author=audit.actor_name(principal))
        audit.record(principal, "evaluation.topic.feedback", topic, {"department": principal.department.code})
    return item


def grants_for_topics(principal: Principal, today: dt.date | None = None):
    """Grants valid today that a topic of this principal's department may name (its own and its partners')."""
    from regshare.exchange.models import Grant

    today = today_or(today)
    return (Grant.objects.filter(status="active", starts_on__lte=today, expires_on__gte=today)
            .select_related("resource", "consumer").order_by("consumer__code", "resource__code"))
