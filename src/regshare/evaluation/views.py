"""Pages of the effectiveness evaluation. Thin: each view calls services and renders."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from regshare.core import workflow
from regshare.core.dashboard import Figure, Series
from regshare.core.models import Department
from regshare.core.pages import page_of
from regshare.core.permissions import PUBLIC, Principal, has_perm, page_permission, principal_of

from . import services
from .ahp import RI_TABLE_LABELS
from .forms import (
    CommentForm,
    DepartmentCommentForm,
    EvaluateForm,
    FeedbackForm,
    MeetingForm,
    PeriodForm,
    RectificationForm,
    ReportForm,
    ReportTextForm,
    SubmissionForm,
    SurveyForm,
    TopicForm,
    WeightingForm,
)
from .fuzzy import OPERATORS
from .models import (
    AnalysisKind,
    AnalysisTopic,
    IndicatorGroup,
    RectificationStatus,
    Report,
    ReportComment,
    ReportStatus,
    SubmissionStatus,
    TopicStatus,
)


def _errors(form) -> str:
    return ";".join(f"{form.fields[k].label if k in form.fields else ''}{'、'.join(v)}" for k, v in form.errors.items())


def _clean(text: str) -> str:
    return (text or "").replace("\x00", "").strip()[:40]


@page_permission("evaluation.view")
def home(request):
    principal = principal_of(request)
    items = services.indicators_for(principal)
    group = _clean(request.GET.get("group"))
    if group:
        items = items.filter(group=group) if group in IndicatorGroup.values else items.none()
    periods = services.known_periods()
    period = _clean(request.GET.get("period")) or (periods[-1] if periods else "")
    page = page_of(request, items, 20)
    values = services.overall_values(period) if period else {}
    for item in page:
        item.current = values.get(item.pk)
    return render(request, "evaluation/home.html", {
        "page": page, "group": group, "groups": IndicatorGroup.choices, "periods": periods, "period": period,
        "period_label": services.period_label(period), "can_manage": has_perm(principal, "evaluation.manage"),
        "compute_form": PeriodForm(initial={"period": period})})


@page_permission("evaluation.view")
def indicator(request, code: str):
    principal = principal_of(request)
    item = get_object_or_404(services.indicators_for(principal), code=code)
    values = services.values_for(principal, indicator=item.code)
    trend = services.compare("period", indicator_codes=[item.code])
    return render(request, "evaluation/indicator.html", {
        "item": item, "page": page_of(request, values, 20), "chart": trend["chart"]})


@page_permission("evaluation.manage")
def compute(request):
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.compute(principal_of(request), form.cleaned_data["period"])
            messages.success(request, f"已计算 {len(result['computed'])} 项系统采集指标。")
            for code, reason in result["missing"].items():
                messages.warning(request, f"{code}:{reason}")
            return redirect(f"/evaluation/?period={result['period']}")
        except ValidationError as exc:
            messages.error(request, ";".join(exc.messages))
    elif request.method == "POST":
        messages.error(request, _errors(form))
    return redirect("evaluation:home")


DIMENSIONS = [("period", "不同时期"), ("department", "不同部门"), ("industry", "不同行业")]


@page_permission("evaluation.view")
def compare(request):
    dimension = _clean(request.GET.get("dimension")) or "period"
    periods = services.known_periods()
    period = _clean(request.GET.get("period")) or (periods[-1] if periods else "")
    result, error = None, ""
    try:
        result = services.compare(dimension, period)
    except ValidationError as exc:
        error = ";".join(exc.messages)
    return render(request, "evaluation/compare.html", {
        "dimension": dimension, "dimensions": DIMENSIONS, "period": period, "periods": periods, "result": result,
        "error": error})


@page_permission("evaluation.view")
def submissions(request):
    principal = principal_of(request)
    items = services.submissions_for(principal)
    status = _clean(request.GET.get("status"))
    if status:
        items = items.filter(status=status) if status in SubmissionStatus.values else items.none()
    return render(request, "evaluation/submissions.html", {
        "page": page_of(request, items, 20), "status": status, "statuses": SubmissionStatus.choices,
        "can_submit": has_perm(principal, "evaluation.submit") and principal.department is not None})


@page_permission("evaluation.submit")
def new_submission(request):
    form = SubmissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.create_submission(principal_of(request), data["indicator"], data["period"],
                                              data["value"], data["basis"])
            messages.success(request, f"已报送,区发改将在 {item.deadline:%Y-%m-%d} 前审核。")
            return redirect("evaluation:submission", item.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "evaluation/new_submission.html", {"form": form})


def _act(request, obj, done: str):
    """Perform the transition a page posted; the page offers exactly ``workflow.available``."""
    try:
        workflow.perform_posted(principal_of(request), obj, request.POST)
        messages.success(request, done)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))


@page_permission("evaluation.view")
def submission(request, pk: int):
    principal = principal_of(request)
    item = get_object_or_404(services.submissions_for(principal), pk=pk)
    if request.method == "POST":
        _act(request, item, "办理完成。")
        return redirect("evaluation:submission", item.pk)
    return render(request, "evaluation/submission.html", {
        "item": item, "period_label": services.period_label(item.period),
        "transitions": workflow.available(principal, item)})


@page_permission("evaluation.view")
def rectifications(request):
    principal = principal_of(request)
    items = services.rectifications_for(principal)
    status = _clean(request.GET.get("status"))
    if status:
        items = items.filter(status=status) if status in RectificationStatus.values else items.none()
    can_manage = has_perm(principal, "evaluation.manage")
    form = RectificationForm(request.POST or None)
    if request.method == "POST" and can_manage and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.create_rectification(principal, data["problem"], data["requirement"],
                                                 data["department"], data["deadline"], data["evaluation"])
            messages.success(request, f"整改事项 {item.number} 已交办。")
            return redirect("evaluation:rectification", item.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "evaluation/rectifications.html", {
        "page": page_of(request, items, 20), "status": status, "statuses": RectificationStatus.choices,
        "form": form, "can_manage": can_manage, "today": timezone.localdate()})


@page_permission("evaluation.view")
def rectification(request, pk: int):
    principal = principal_of(request)
    item = get_object_or_404(services.rectifications_for(principal), pk=pk)
    if request.method == "POST":
        _act(request, item, "办理完成。")
        return redirect("evaluation:rectification", item.pk)
    return render(request, "evaluation/rectification.html", {
        "item": item, "transitions": workflow.available(principal, item),
        "overdue": item.status != RectificationStatus.CLOSED and item.deadline < timezone.localdate()})


@page_permission("evaluation.view")
def surveys(request):
    principal = principal_of(request)
    can_manage = has_perm(principal, "evaluation.manage")
    form = SurveyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and can_manage and form.is_valid():
        data = form.cleaned_data
        try:
            upload = data["file"]
            if upload.size > 20 * 1024 * 1024:
                raise ValidationError("文件超过 20 MB", code="file_too_large")
            survey = services.import_survey(principal, data["name"], data["period"], upload.read(), upload.name)
            messages.success(request, f"已导入问卷“{survey.name}”{survey.results.count()} 行结果。")
            return redirect("evaluation:surveys")
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "evaluation/surveys.html", {
        "page": page_of(request, services.surveys_for(principal).prefetch_related("results__indicator"), 20),
        "form": form, "can_manage": can_manage})


@page_permission("evaluation.view")
def weightings(request):
    principal = principal_of(request)
    can_manage = has_perm(principal, "evaluation.manage")
    form = WeightingForm(request.POST or None)
    refusal = None
    if request.method == "POST" and can_manage and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.create_weighting(principal, data["name"], data["level"], data["criteria"],
                                             data["matrices"], data["ri_table"])
            messages.success(request, f"权重已确定,CR = {item.cr:.4f}。")
            return redirect("evaluation:weighting", item.pk)
        except services.AhpRefused as exc:
            refusal = {"message": exc.messages[0], **exc.extra}
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "evaluation/weightings.html", {
        "page": page_of(request, services.weightings_for(principal), 20), "form": form, "can_manage": can_manage,
        "refusal": refusal, "groups": IndicatorGroup.choices})


@page_permission("evaluation.view")
def weighting(request, pk: int):
    item = get_object_or_404(services.weightings_for(principal_of(request)), pk=pk)
    labels = services._criteria_labels(item.level, item.criteria)
    return render(request, "evaluation/weighting.html", {
        "item": item, "rows": list(zip(item.criteria, labels, item.weights, item.matrix, strict=True)),
        "ri_label": RI_TABLE_LABELS.get(item.ri_table, item.ri_table)})


@page_permission("evaluation.view")
def evaluations(request):
    principal = principal_of(request)
    can_manage = has_perm(principal, "evaluation.manage")
    form = EvaluateForm(request.POST or None)
    if request.method == "POST" and can_manage and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.run_evaluation(principal, data["period"], data["name"], operator=data["operator"])
            messages.success(request, f"综合评价完成:{item.grade}({item.score:.2f} 分)。")
            return redirect("evaluation:evaluation", item.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "evaluation/evaluations.html", {
        "page": page_of(request, services.evaluations_for(principal), 20), "form": form, "can_manage": can_manage})


@page_permission("evaluation.view")
def evaluation(request, pk: int):
    item = get_object_or_404(services.evaluations_for(principal_of(request)), pk=pk)
    groups = item.detail.get("groups", [])
    chart = Figure(key="evaluation-groups", title="分类得分", kind="bar", categories=[g["label"] for g in groups],
                   series=[Series("分类得分", [g["score"] for g in groups])]).spec()
    return render(request, "evaluation/evaluation.html", {
        "item": item, "groups": groups, "operator_label": OPERATORS.get(item.operator, item.operator),
        "grades": list(zip(item.grades, item.result, strict=True)), "chart": chart,
        "period_label": services.period_label(item.period)})


@page_permission("evaluation.view")
def meetings(request):
    principal = principal_of(request)
    can_manage = has_perm(principal, "evaluation.manage")
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and can_manage and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.record_meeting(principal, data["kind"], data["title"], data["held_on"], data["minutes"],
                                              data["attendees"], services.parse_decisions(data["decisions"]))
            messages.success(request, f"会议纪要已记录,{meeting.tasks.count()} 项议定事项已交办。")
            return redirect("evaluation:meetings")
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "evaluation/meetings.html", {
        "page": page_of(request, services.meetings_for(principal), 10), "form": form, "can_manage": can_manage})


# ----------------------------------------------------------------------------- reports

@page_permission("evaluation.view")
def reports(request):
    principal = principal_of(request)
    items = Report.objects.visible_to(principal).defer("docx", "pdf").filtered(request.GET)
    return render(request, "evaluation/reports.html", {
        "page": page_of(request, items, 20), **Report.objects.filter_values(request.GET),
        "statuses": ReportStatus.choices, "can_manage": has_perm(principal, "evaluation.manage")})


@page_permission("evaluation.manage")
def new_report(request):
    principal = principal_of(request)
    form = ReportForm(request.POST or None)
    text = ReportTextForm(request.POST or None, empty_permitted=True, use_required_attribute=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sections = {k: request.POST.get(k, "") for k in services.REPORT_TEXT_FIELDS}
        try:
            report = services.create_report(principal, data["title"], data["period"].strip(), data["evaluation"],
                                            sections)
        except ValidationError as exc:
            form.add_error(None, ";".join(exc.messages))
        else:
            messages.success(request, "报告已起草,请修改完善后生成文件并发布征求意见稿。")
            return redirect("evaluation:report", report.pk)
    return render(request, "evaluation/report_new.html", {"form": form, "text": text})


@page_permission("evaluation.view")
def report(request, pk: int):
    principal = principal_of(request)
    item = get_object_or_404(Report.objects.visible_to(principal).defer("docx", "pdf")
                             .select_related("evaluation"), pk=pk)
    can_manage = has_perm(principal, "evaluation.manage")
    if request.method == "POST":
        action = request.POST.get("do", "")
        try:
            if action == "edit":
                text = ReportTextForm(request.POST)
                if not text.is_valid():
                    raise ValidationError(_errors(text))
                services.edit_report(principal, item, text.cleaned_data)
                messages.success(request, "已保存,请重新生成报告文件。")
            elif action == "build":
                services.request_build(principal, item)
            elif action == "comment":
                services.add_comment(principal, item, request.POST.get("content", ""))
                messages.success(request, "意见已提交。")
            elif action == "answer":
                comment = get_object_or_404(ReportComment, pk=request.POST.get("comment") or 0, report=item)
                services.answer_comment(principal, comment, request.POST.get("answer", ""))
            else:
                _act(request, item, "办理完成。")
        except ValidationError as exc:
            messages.error(request, ";".join(exc.messages))
        return redirect("evaluation:report", item.pk)
    editable = can_manage and item.status in (ReportStatus.DRAFT, ReportStatus.CONSULTING)
    return render(request, "evaluation/report.html", {
        "item": item, "transitions": workflow.available(principal, item), "can_manage": can_manage,
        "text": ReportTextForm(initial={k: getattr(item, k) for k in services.REPORT_TEXT_FIELDS}) if editable else None,
        "comments": item.comments.select_related("department"),
        "comment_form": DepartmentCommentForm() if (item.status == ReportStatus.CONSULTING
                                                    and principal.department is not None) else None})


@page_permission("evaluation.view")
def report_progress(request, pk: int):
    item = get_object_or_404(Report.objects.visible_to(principal_of(request)).defer("docx", "pdf"), pk=pk)
    return render(request, "evaluation/_report_progress.html", {"item": item})


@page_permission(PUBLIC)
def report_file(request, pk: int, fmt: str):
    """Files of a report: everyone in the evaluation; the public once it is published."""
    principal = principal_of(request)
    item = get_object_or_404(Report.objects.visible_to(principal).defer("docx", "pdf"), pk=pk)
    try:
        content, name, content_type = services.report_file(principal, item, fmt)
    except ValidationError as exc:
        return HttpResponse(";".join(exc.messages), status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@page_permission(PUBLIC)
def report_comment(request, pk: int):
    """The public comment page of a report out for comments (征求意见): market entities and the public."""
    item = get_object_or_404(Report.objects.filter(status=ReportStatus.CONSULTING).defer("docx", "pdf"), pk=pk)
    form = CommentForm(request.POST or None)
    done = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_comment(_anonymous(), item, data["content"],
                                 kind=data["kind"], author=data["author"], uscc=data["uscc"])
            done = True
        except ValidationError as exc:
            form.add_error(None, ";".join(exc.messages))
    return render(request, "evaluation/report_comment.html", {"item": item, "form": form, "done": done})


def _anonymous() -> Principal:
    # A signed-in person's comment belongs to his department (on the report page); this page speaks for the
    # entity or person named in the form.
    return Principal()


# ----------------------------------------------------------------------------- department assessment

@page_permission("evaluation.view")
def assessment(request):
    principal = principal_of(request)
    try:
        if request.GET.get("format") == "xlsx":
            year, content = services.assessment_xlsx(principal, request.GET.get("year"))
            response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument"
                                                          ".spreadsheetml.sheet")
            response["Content-Disposition"] = f"attachment; filename=assessment-{year}.xlsx"
            return response
        year, table = services.assessment_table(principal, request.GET.get("year"))
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        year, table = services.assessment_table(principal)
    return render(request, "evaluation/assessment.html", {
        "year": year, "table": table, "criteria": table[0].criteria if table else [],
        "years": list(range(year, year - 4, -1))})


@page_permission("evaluation.view")
def assessment_department(request, code: str):
    principal = principal_of(request)
    department = get_object_or_404(Department, code=code[:40])
    try:
        year, score = services.assessment_of(principal, department, request.GET.get("year"))
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        year, score = services.assessment_of(principal, department)
    return render(request, "evaluation/assessment_department.html", {"year": year, "score": score})


# ----------------------------------------------------------------------------- analysis topics

@page_permission("evaluation.view")
def topics(request):
    principal = principal_of(request)
    items = AnalysisTopic.objects.visible_to(principal).filtered(request.GET)
    return render(request, "evaluation/topics.html", {
        "page": page_of(request, items, 20), **AnalysisTopic.objects.filter_values(request.GET),
        "statuses": TopicStatus.choices, "kinds": AnalysisKind.choices,
        "can_manage": has_perm(principal, "evaluation.manage")})


@page_permission("evaluation.manage")
def new_topic(request):
    principal = principal_of(request)
    form = TopicForm(services.grants_for_topics(principal), request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        params = {"months": data["months"]} if data.get("months") else {}
        try:
            topic = services.create_topic(principal, data["title"], data["kind"], data["method"], data["members"],
                                          data["grants"], params)
        except ValidationError as exc:
            form.add_error(None, ";".join(exc.messages))
        else:
            messages.success(request, "专题已立项,下一步运行分析。")
            return redirect("evaluation:topic", topic.pk)
    return render(request, "evaluation/topic_new.html", {"form": form})


@page_permission("evaluation.view")
def topic(request, pk: int):
    principal = principal_of(request)
    item = get_object_or_404(AnalysisTopic.objects.visible_to(principal), pk=pk)
    if request.method == "POST":
        if request.POST.get("do") == "feedback":
            try:
                services.add_feedback(principal, item, request.POST.get("applied_to", ""),
                                      request.POST.get("effect", ""))
                messages.success(request, "应用情况已反馈。")
            except ValidationError as exc:
                messages.error(request, ";".join(exc.messages))
        else:
            _act(request, item, "办理完成。")
        return redirect("evaluation:topic", item.pk)
    return render(request, "evaluation/topic.html", {
        "item": item, "transitions": workflow.available(principal, item),
        "members": item.members.all(), "grants": item.grants.select_related("resource", "consumer"),
        "feedback": item.feedback.select_related("department"),
        "feedback_form": FeedbackForm() if item.status in (TopicStatus.REPORTED, TopicStatus.CLOSED)
        and principal.department is not None else None,
        "trend_rows": _trend_rows(item.results) if item.kind == AnalysisKind.ENTRY_TREND else [],
        "approval_rows": _approval_rows(item.results) if item.kind == AnalysisKind.APPROVAL else [],
        "risk_rows": sorted((item.results or {}).get("by_industry", {}).items())
        if item.kind == AnalysisKind.BUSINESS_RISK else []})


def _trend_rows(results: dict) -> list[dict]:
    rows = [{"label": "全区合计", **_sums(results.get("total", {}))}] if results else []
    for label, series in (results or {}).get("by_industry", {}).items():
        rows.append({"label": label, **_sums(series)})
    return rows


def _sums(series: dict) -> dict:
    new, closed = series.get("new", []), series.get("closed", [])
    return {"new": sum(new), "closed": sum(closed), "net": sum(new) - sum(closed), "monthly_new": new}


def _approval_rows(results: dict) -> list[dict]:
    names = {i["code"]: f"{i['name']}({i['unit']})" for i in (results or {}).get("indicators", [])}
    return [{"name": names.get(code, code), "values": values}
            for code, values in (results or {}).get("overall", {}).items()]
