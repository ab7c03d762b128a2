"""Evaluation API, mounted at ``/api/v1/evaluation``. Thin: every rule is in ``services`` (and ``ahp``/``fuzzy``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from regshare.core import workflow
from regshare.core.auth import allow
from regshare.core.models import Department
from regshare.core.pagination import Mapped, PageNumberPagination, paginate
from regshare.core.permissions import principal_of

from . import ahp, fuzzy, services
from .models import AnalysisTopic, Indicator, IndicatorGroup, RectificationStatus, Report, SubmissionStatus

router = Router(tags=["evaluation"])

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Cell = float | str
Matrix = list[list[Cell]]


class IndicatorOut(Schema):
    code: str
    name: str
    group: str
    group_label: str
    formula: str
    source: str
    source_detail: str
    unit: str
    direction: str
    period: str
    department: str
    thresholds: list[float]

    @staticmethod
    def resolve_group_label(obj: Indicator) -> str:
        return obj.get_group_display()

    @staticmethod
    def resolve_department(obj: Indicator) -> str:
        return obj.department.code


class ValueOut(Schema):
    indicator: str
    period: str
    department: str | None
    industry: str
    value: float
    origin: str
    facts: dict[str, Any]

    @staticmethod
    def resolve_indicator(obj) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_department(obj) -> str | None:
        return obj.department.code if obj.department else None


class PeriodIn(Schema):
    period: str = Field(..., max_length=10)


class ComputeOut(Schema):
    period: str
    computed: dict[str, int]
    missing: dict[str, str]


class SubmissionOut(Schema):
    id: int
    indicator: str
    period: str
    department: str
    value: float
    basis: str
    status: str
    status_label: str
    deadline: dt.date | None
    submitted_at: dt.datetime | None
    review_comment: str

    @staticmethod
    def resolve_indicator(obj) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.code

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class SubmissionIn(Schema):
    indicator: str = Field(..., max_length=32)
    period: str = Field(..., max_length=10)
    value: float = Field(..., ge=0, le=1e12)
    basis: str = Field(..., max_length=5000)


class ResubmitIn(Schema):
    value: float | None = Field(None, ge=0, le=1e12)
    basis: str | None = Field(None, max_length=5000)


class ReviewIn(Schema):
    approve: bool
    comment: str = Field("", max_length=2000)


class AhpIn(Schema):
    matrix: Matrix | None = None
    matrices: list[Matrix] | None = None
    criteria: list[str] = []
    ri_table: str = ahp.DEFAULT_RI_TABLE


class AhpOut(Schema):
    weights: list[float]
    lambda_max: float
    ci: float
    cr: float
    ri_table: str


class WeightingIn(Schema):
    name: str = Field(..., max_length=200)
    level: str = Field(..., max_length=20)
    criteria: list[str]
    matrix: Matrix | None = None
    matrices: list[Matrix] | None = None
    ri_table: str = ahp.DEFAULT_RI_TABLE


class WeightingOut(Schema):
    id: int
    name: str
    level: str
    criteria: list[str]
    weights: list[float]
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    created_at: dt.datetime


class FuzzyIn(Schema):
    weights: list[float]
    membership: list[list[float] | dict[str, Any]]
    grades: list[str | dict[str, Any]] | None = None
    operator: str | None = None


class FuzzyOut(Schema):
    result: list[float]
    grade: str
    score: float


class EvaluateIn(Schema):
    period: str = Field(..., max_length=10)
    name: str = Field("", max_length=200)
    operator: str = fuzzy.DEFAULT_OPERATOR
    weighting: Id | None = None


class EvaluationOut(Schema):
    id: int
    name: str
    period: str
    operator: str
    grades: list[str]
    result: list[float]
    grade: str
    score: float
    weighting: int
    detail: dict[str, Any]
    created_at: dt.datetime

    @staticmethod
    def resolve_weighting(obj) -> int:
        return obj.weighting_id


class Refusal(Schema):
    code: str
    message: str
    cr: float | None = None
    worst: list[int] | None = None
    suggested: float | None = None


def _text(value: str, limit: int) -> str:
    """A query parameter as a filter: NUL removed (PostgreSQL refuses it), cut to the field's length."""
    return (value or "").replace("\x00", "")[:limit]


def _matrices(payload) -> Any:
    if payload.matrices is not None:
        return payload.matrices
    if payload.matrix is not None:
        return payload.matrix
    raise ValidationError("须提供 matrix(判断矩阵)或 matrices(多位专家的判断矩阵)", code="matrix_required")


def _refusal(exc: ahp.AhpError) -> dict:
    if isinstance(exc, ahp.Inconsistent):
        return {"code": exc.code, "message": exc.message, "cr": exc.cr, "worst": list(exc.worst),
                "suggested": exc.suggested}
    return {"code": exc.code, "message": str(exc)}


@router.get("/indicators", response=list[IndicatorOut], summary="评估指标列表", auth=allow("evaluation.view"))
@paginate(PageNumberPagination, page_size=50)
def list_indicators(request, group: str = ""):
    items = services.indicators_for(principal_of(request))
    if group:
        items = items.filter(group=group) if group in IndicatorGroup.values else items.none()
    return items


@router.get("/values", response=list[ValueOut], summary="指标值(按统计期、部门、行业)", auth=allow("evaluation.view"))
@paginate(PageNumberPagination, page_size=50)
def list_values(request, period: str = "", indicator: str = ""):
    return services.values_for(principal_of(request), _text(period, 10), _text(indicator, 32))


@router.post("/compute", response=ComputeOut, summary="计算系统采集指标", auth=allow("evaluation.manage"))
def compute(request, payload: PeriodIn):
    return services.compute(principal_of(request), payload.period)


@router.get("/compare", response=dict[str, Any], summary="对比分析(时期、部门、行业)", auth=allow("evaluation.view"))
def compare(request, dimension: str = "period", period: str = ""):
    return services.compare(_text(dimension, 20), _text(period, 10))


@router.get("/submissions", response=list[SubmissionOut], summary="部门报送列表", auth=allow("evaluation.view"))
@paginate(PageNumberPagination, page_size=20)
def list_submissions(request, status: str = ""):
    items = services.submissions_for(principal_of(request))
    if status:
        items = items.filter(status=status) if status in SubmissionStatus.values else items.none()
    return items


@router.post("/submissions", response={201: SubmissionOut}, summary="报送评估数据", auth=allow("evaluation.submit"))
def create_submission(request, payload: SubmissionIn):
    principal = principal_of(request)
    indicator = services.indicators_for(principal).filter(code=payload.indicator).first()
    if indicator is None:
        raise ValidationError(f"指标 {payload.indicator[:32]} 不存在", code="unknown_indicator")
    return 201, services.create_submission(principal, indicator, payload.period, payload.value, payload.basis)


@router.get("/submissions/{submission_id}", response=SubmissionOut, summary="报送详情", auth=allow("evaluation.view"))
def submission_detail(request, submission_id: Id):
    return get_object_or_404(services.submissions_for(principal_of(request)), pk=submission_id)


@router.post("/submissions/{submission_id}/submit", response=SubmissionOut, summary="报送/重新报送",
             auth=allow("evaluation.submit"))
def resubmit(request, submission_id: Id, payload: ResubmitIn):
    principal = principal_of(request)
    item = get_object_or_404(services.submissions_for(principal), pk=submission_id)
    return services.submit(principal, item, payload.value, payload.basis)


@router.post("/submissions/{submission_id}/review", response=SubmissionOut, summary="审核报送(采用或退回)",
             auth=allow("evaluation.review"))
def review(request, submission_id: Id, payload: ReviewIn):
    principal = principal_of(request)
    item = get_object_or_404(services.submissions_for(principal), pk=submission_id)
    return services.review(principal, item, payload.approve, payload.comment)


@router.post("/ahp", response={200: AhpOut, 400: Refusal}, summary="层次分析法:权重与一致性检验(不保存)",
             auth=allow("evaluation.view"))
def ahp_weigh(request, payload: AhpIn):
    try:
        return ahp.weigh(_matrices(payload), payload.criteria, ri_table=payload.ri_table).as_dict()
    except ahp.AhpError as exc:
        return 400, _refusal(exc)


@router.post("/fuzzy", response={200: FuzzyOut, 400: Refusal}, summary="模糊综合评价(不保存)",
             auth=allow("evaluation.view"))
def fuzzy_evaluate(request, payload: FuzzyIn):
    try:
        return fuzzy.evaluate(payload.weights, payload.membership, payload.grades, payload.operator).as_dict()
    except fuzzy.FuzzyError as exc:
        return 400, {"code": exc.code, "message": str(exc)}


@router.get("/weightings", response=list[WeightingOut], summary="层次分析法权重列表", auth=allow("evaluation.view"))
@paginate(PageNumberPagination, page_size=20)
def list_weightings(request):
    return services.weightings_for(principal_of(request))


@router.post("/weightings", response={201: WeightingOut, 400: Refusal}, summary="保存一层的判断矩阵与权重",
             auth=allow("evaluation.manage"))
def create_weighting(request, payload: WeightingIn):
    try:
        item = services.create_weighting(principal_of(request), payload.name, payload.level, payload.criteria,
                                         _matrices(payload), payload.ri_table)
    except services.AhpRefused as exc:
        return 400, {"code": exc.code, "message": exc.messages[0], **exc.extra}
    return 201, item


@router.get("/evaluations", response=list[EvaluationOut], summary="综合评价列表", auth=allow("evaluation.view"))
@paginate(PageNumberPagination, page_size=20)
def list_evaluations(request, period: str = ""):
    items = services.evaluations_for(principal_of(request))
    return items.filter(period=_text(period, 10)) if period else items


@router.post("/evaluations", response={201: EvaluationOut}, summary="开展模糊综合评价", auth=allow("evaluation.manage"))
def evaluate(request, payload: EvaluateIn):
    principal = principal_of(request)
    weighting = None
    if payload.weighting is not None:
        weighting = get_object_or_404(services.weightings_for(principal), pk=payload.weighting)
    return 201, services.run_evaluation(principal, payload.period, payload.name, weighting, payload.operator)


@router.get("/evaluations/{evaluation_id}", response=EvaluationOut, summary="综合评价详情",
            auth=allow("evaluation.view"))
def evaluation_detail(request, evaluation_id: Id):
    return get_object_or_404(services.evaluations_for(principal_of(request)), pk=evaluation_id)


class RectificationOut(Schema):
    id: int
    number: str
    problem: str
    requirement: str
    department: str
    deadline: dt.date
    status: str
    status_label: str
    kind: str
    meeting: int | None
    measures: str
    person: str
    progress: str
    recheck_opinion: str
    escalated_at: dt.datetime | None
    closed_at: dt.datetime | None
    actions: list[dict[str, Any]] = []

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.code

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_meeting(obj) -> int | None:
        return obj.meeting_id


class RectificationIn(Schema):
    problem: str = Field(..., max_length=5000)
    requirement: str = Field(..., max_length=5000)
    department: str = Field(..., max_length=32)
    deadline: dt.date
    evaluation: Id | None = None


class ActIn(Schema):
    measures: str = Field("", max_length=5000)
    person: str = Field("", max_length=50)
    progress: str = Field("", max_length=5000)
    opinion: str = Field("", max_length=5000)


def _with_actions(request, item):
    item.actions = workflow.actions(principal_of(request), item)
    return item


@router.get("/rectifications", response=list[RectificationOut], summary="整改事项列表", auth=allow("evaluation.view"))
@paginate(PageNumberPagination, page_size=20)
def list_rectifications(request, status: str = ""):
    items = services.rectifications_for(principal_of(request))
    if status:
        items = items.filter(status=status) if status in RectificationStatus.values else items.none()
    return items


@router.post("/rectifications", response={201: RectificationOut}, summary="交办整改事项", auth=allow("evaluation.manage"))
def create_rectification(request, payload: RectificationIn):
    principal = principal_of(request)
    department = Department.objects.filter(code=payload.department, active=True).first()
    if department is None:
        raise ValidationError(f"部门 {payload.department[:32]} 不存在", code="unknown_department")
    evaluation = None
    if payload.evaluation is not None:
        evaluation = get_object_or_404(services.evaluations_for(principal), pk=payload.evaluation)
    item = services.create_rectification(principal, payload.problem, payload.requirement, department,
                                         payload.deadline, evaluation)
    return 201, _with_actions(request, item)


@router.get("/rectifications/{rectification_id}", response=RectificationOut, summary="整改事项详情(含可办理操作)",
            auth=allow("evaluation.view"))
def rectification_detail(request, rectification_id: Id):
    item = get_object_or_404(services.rectifications_for(principal_of(request)), pk=rectification_id)
    return _with_actions(request, item)


@router.post("/rectifications/{rectification_id}/{transition}", response=RectificationOut,
             summary="办理整改事项(plan 提交方案、report 报告完成、close 销号、reopen 继续整改)",
             auth=allow("evaluation.view"))
def rectification_act(request, rectification_id: Id, transition: str, payload: ActIn):
    principal = principal_of(request)
    item = get_object_or_404(services.rectifications_for(principal), pk=rectification_id)
    item = workflow.perform(principal, item, transition[:40], **payload.dict())
    return _with_actions(request, item)


class DecisionIn(Schema):
    task: str = Field(..., max_length=2000)
    department: str = Field(..., max_length=32)
    deadline: dt.date


class MeetingIn(Schema):
    kind: str = Field(..., max_length=12)
    title: str = Field(..., max_length=200)
    held_on: dt.date
    minutes: str = Field(..., max_length=20000)
    attendees: list[str] = []
    decisions: list[DecisionIn] = []


class MeetingOut(Schema):
    id: int
    kind: str
    title: str
    held_on: dt.date
    convener: str
    minutes: str
    tasks: list[int]

    @staticmethod
    def resolve_convener(obj) -> str:
        return obj.convener.code

    @staticmethod
    def resolve_tasks(obj) -> list[int]:
        return [t.pk for t in obj.tasks.all()]


@router.get("/meetings", response=list[MeetingOut], summary="协调会议列表", auth=allow("evaluation.view"))
@paginate(PageNumberPagination, page_size=20)
def list_meetings(request):
    return services.meetings_for(principal_of(request))


@router.post("/meetings", response={201: MeetingOut}, summary="记录协调会议(议定事项成为跟踪任务)",
             auth=allow("evaluation.manage"))
def record_meeting(request, payload: MeetingIn):
    codes = {d.department for d in payload.decisions} | set(payload.attendees)
    departments = {d.code: d for d in Department.objects.filter(code__in=list(codes), active=True)}
    unknown = sorted(c for c in codes if c not in departments)
    if unknown:
        raise ValidationError(f"部门不存在:{'、'.join(c[:32] for c in unknown[:5])}", code="unknown_department")
    decisions = [services.Decision(d.task, departments[d.department], d.deadline) for d in payload.decisions]
    meeting = services.record_meeting(principal_of(request), payload.kind, payload.title, payload.held_on,
                                      payload.minutes, [departments[c] for c in payload.attendees], decisions)
    return 201, meeting


# ----------------------------------------------------------------------------- reports, assessment, topics

class ReportOut(Schema):
    id: int
    title: str
    period: str
    status: str
    comment_deadline: dt.date | None
    published_on: dt.date | None
    build_state: str
    build_progress: int
    actions: list[dict]


def _report_out(principal, r: Report) -> dict:
    return {"id": r.pk, "title": r.title, "period": r.period, "status": r.status,
            "comment_deadline": r.comment_deadline, "published_on": r.published_on, "build_state": r.build_state,
            "build_progress": r.build_progress, "actions": workflow.actions(principal, r)}


@router.get("/reports", response=list[ReportOut], auth=allow("evaluation.view"), summary="评估报告")
@paginate(PageNumberPagination, page_size=20)
def reports(request, q: str = "", status: str = ""):
    principal = principal_of(request)
    items = Report.objects.visible_to(principal).defer("docx", "pdf").filtered({"q": q, "status": status})
    return Mapped(items, lambda r: _report_out(principal, r))


@router.get("/reports/{report_id}", response=ReportOut, auth=allow("evaluation.view"),
            summary="评估报告详情(含可办理操作)")
def report_detail(request, report_id: Id):
    principal = principal_of(request)
    item = get_object_or_404(Report.objects.visible_to(principal).defer("docx", "pdf"), pk=report_id)
    return _report_out(principal, item)


class ReportStepIn(Schema):
    comment_deadline: str = Field("", max_length=10)
    revision_note: str = Field("", max_length=5000)
    approval_note: str = Field("", max_length=5000)


@router.post("/reports/{report_id}/{transition}", response=ReportOut, auth=allow("evaluation.view"),
             summary="办理评估报告(consult 发布征求意见稿、revise 修改完成报审、approve 审定、send_back 退回、"
                     "publish 在门户发布)")
def report_act(request, report_id: Id, transition: str, payload: ReportStepIn):
    principal = principal_of(request)
    item = get_object_or_404(Report.objects.visible_to(principal), pk=report_id)
    item = workflow.perform(principal, item, transition[:40], **payload.dict())
    return _report_out(principal, item)


class CriterionOut(Schema):
    code: str
    name: str
    maximum: float
    score: float
    basis: str


class AssessmentOut(Schema):
    department: str
    name: str
    total: float
    criteria: list[CriterionOut]


@router.get("/assessment", response=list[AssessmentOut], auth=allow("evaluation.view"),
            summary="部门数据共享年度考核(各项得分与计算)")
def assessment(request, year: str = ""):
    _year, table = services.assessment_table(principal_of(request), year or None)
    return [{"department": row.department.code, "name": row.department.name, "total": row.total,
             "criteria": [{"code": c.code, "name": c.name, "maximum": c.maximum, "score": c.score, "basis": c.basis}
                          for c in row.criteria]} for row in table]


class TopicOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    lead: str
    status: str
    status_label: str
    method: str
    conclusion: str
    deadline: dt.date | None

    @staticmethod
    def resolve_kind_label(obj: AnalysisTopic) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_lead(obj: AnalysisTopic) -> str:
        return obj.lead.name

    @staticmethod
    def resolve_status_label(obj: AnalysisTopic) -> str:
        return obj.get_status_display()


class TopicFeedbackOut(Schema):
    department: str
    applied_to: str
    effect: str
    created_at: dt.datetime


class TopicDetailOut(TopicOut):
    members: list[str]
    results: dict
    report: str
    feedback: list[TopicFeedbackOut]
    actions: list[dict]

    @staticmethod
    def resolve_members(obj: AnalysisTopic) -> list[str]:
        return [d.name for d in obj.members.all()]

    @staticmethod
    def resolve_results(obj: AnalysisTopic) -> dict:
        return obj.results or {}

    @staticmethod
    def resolve_feedback(obj: AnalysisTopic) -> list[dict]:
        return [{"department": f.department.name, "applied_to": f.applied_to, "effect": f.effect,
                 "created_at": f.created_at} for f in obj.feedback.select_related("department")]


@router.get("/topics", response=list[TopicOut], auth=allow("evaluation.view"), summary="协同分析专题列表")
@paginate(PageNumberPagination, page_size=20)
def topics(request, q: str = "", status: str = "", kind: str = ""):
    return AnalysisTopic.objects.visible_to(principal_of(request)).filtered(
        {"q": q, "status": status, "kind": kind}).order_by("-created_at", "-pk")


@router.get("/topics/{topic_id}", response=TopicDetailOut, auth=allow("evaluation.view"),
            summary="协同分析专题详情(成员、结果、报告、应用反馈与可办理操作)")
def topic_detail(request, topic_id: Id):
    principal = principal_of(request)
    item = get_object_or_404(AnalysisTopic.objects.visible_to(principal), pk=topic_id)
    return _with_actions(request, item)


class TopicStepIn(Schema):
    conclusion: str = Field("", max_length=20000)
    report: str = Field("", max_length=50000)


@router.post("/topics/{topic_id}/{transition}", response=TopicDetailOut, auth=allow("evaluation.view"),
             summary="办理协同分析专题(analyse 运行分析、report 形成专题报告、close 结题)")
def topic_act(request, topic_id: Id, transition: str, payload: TopicStepIn):
    principal = principal_of(request)
    item = get_object_or_404(AnalysisTopic.objects.visible_to(principal), pk=topic_id)
    return _with_actions(request, workflow.perform(principal, item, transition[:40], **payload.dict()))
