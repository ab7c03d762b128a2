"""Department submissions and rectification as declared workflows (seed 004 五(一)2 and 七(二)).

A submission is reported by the responsible department, reviewed by 区发改 within five working days and either
adopted (its figure becomes the indicator's value) or returned for correction. A rectification item is assigned
to a department with a deadline, which draws up measures and a responsible person, reports progress, and is
re-inspected by 区发改: closed (销号) or sent back to rectifying. ``services`` keeps the named entry points and
hands them to ``workflow.perform``.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from regshare.core import workflow
from regshare.core.permissions import Principal, has_perm, sees_everything

from .analysis import ANALYSES
from .models import (
    IndicatorValue,
    Rectification,
    RectificationStatus,
    Report,
    ReportStatus,
    SourceKind,
    Submission,
    SubmissionStatus,
    TopicStatus,
)

REVIEW_WORKDAYS = 5  # 区发改 reviews a submission within five working days of receiving it

S, R, P, T = SubmissionStatus, RectificationStatus, ReportStatus, TopicStatus


def _own_department(principal: Principal, obj) -> bool:
    return principal.department_id is not None and principal.department_id == obj.department_id


def _not_submitter(principal: Principal, item: Submission) -> bool:
    return principal.user is not None and principal.user.pk != item.created_by_id


def _department_q(principal: Principal, perm: str) -> Q | None:
    if not has_perm(principal, perm) or principal.department_id is None:
        return None
    return Q(department_id=principal.department_id)


def _reviewer_q(principal: Principal) -> Q | None:
    if not has_perm(principal, "evaluation.review"):
        return None
    return ~Q(created_by_id=principal.user.pk) if principal.user is not None else Q()


def _resubmit(item: Submission, principal: Principal, data: dict) -> dict:
    from .services import check_value

    if data.get("value") not in (None, ""):
        try:
            value = float(data["value"])
            check_value(item.indicator, value)
        except (TypeError, ValueError) as exc:
            message = exc.messages[0] if hasattr(exc, "messages") else "指标值须为数字"
            raise workflow.TransitionRefused(message, code="bad_value") from exc
        item.value = value
    if str(data.get("basis") or "").strip():
        item.basis = str(data["basis"]).strip()
    item.submitted_at = timezone.now()
    return {"value": item.value}


def _adopt(item: Submission, principal: Principal, data: dict) -> dict:
    item.reviewed_by, item.reviewed_at = principal.user, timezone.now()
    item.review_comment = str(data.get("comment") or "").strip()
    # The responsible department's figure is the district's; another department's is its own.
    department = None if item.department_id == item.indicator.department_id else item.department
    IndicatorValue.objects.update_or_create(
        indicator=item.indicator, period=item.period, department=department, industry="",
        defaults={"value": item.value, "origin": SourceKind.SUBMISSION,
                  "facts": {"报送编号": item.pk, "数据说明": item.basis[:500]}})
    return {"comment": item.review_comment, "value": item.value}


def _send_back(item: Submission, principal: Principal, data: dict) -> dict:
    item.reviewed_by, item.reviewed_at = principal.user, timezone.now()
    item.review_comment = str(data.get("comment") or "").strip()
    return {"comment": item.review_comment}


def _submission_title(item: Submission) -> str:
    if item.status == S.RETURNED:
        return f"{item.indicator.name}({item.period})被退回,请修改后重新报送"
    return f"{item.department} 报送 {item.indicator.name}({item.period})"


SUBMISSION = workflow.Workflow(
    name="evaluation.submission", model="evaluation.Submission", state_field="status", deadline_field="deadline",
    label="评估数据报送", pending_title=_submission_title, pending_related=("indicator", "department"),
    transitions=[
        workflow.Transition(
            name="submit", label="报送", source=(S.DRAFT, S.RETURNED), target=S.SUBMITTED,
            permission="evaluation.submit", may_act=_own_department, denial="只能报送本部门的评估数据",
            deadline_workdays=REVIEW_WORKDAYS, audit_action="evaluation.submission.submit", apply=_resubmit,
            pending=_reviewer_q, style="primary", fields=(("value", "指标值(修改时填写)"), ("basis", "数据说明(修改时填写)"))),
        workflow.Transition(
            name="approve", label="采用", source=(S.SUBMITTED,), target=S.APPROVED,
            permission="evaluation.review", may_act=_not_submitter, denial="不能审核本人报送的数据",
            audit_action="evaluation.submission.approve", apply=_adopt, style="primary",
            fields=(("comment", "审核意见"),)),
        workflow.Transition(
            name="return", label="退回修改", source=(S.SUBMITTED,), target=S.RETURNED,
            permission="evaluation.review", may_act=_not_submitter, denial="不能审核本人报送的数据",
            audit_action="evaluation.submission.return", apply=_send_back,
            pending=lambda p: _department_q(p, "evaluation.submit"), required=(("comment", "审核意见"),)),
    ],
)


def _plan(item: Rectification, principal: Principal, data: dict) -> dict:
    item.measures, item.person = str(data["measures"]).strip(), str(data["person"]).strip()[:50]
    return {"person": item.person}


def _report(item: Rectification, principal: Principal, data: dict) -> dict:
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    item.progress = f"{item.progress}\n{stamp}:{str(data['progress']).strip()}".strip()
    return {}


def _close(item: Rectification, principal: Principal, data: dict) -> dict:
    item.recheck_opinion, item.closed_at = str(data["opinion"]).strip(), timezone.now()
    return {"opinion": item.recheck_opinion}


def _reopen(item: Rectification, principal: Principal, data: dict) -> dict:
    item.recheck_opinion = str(data["opinion"]).strip()
    return {"opinion": item.recheck_opinion}


RECTIFICATION = workflow.Workflow(
    name="evaluation.rectification", model="evaluation.Rectification", state_field="status",
    label="整改事项", pending_title=lambda r: f"{r.number} {r.problem[:40]}",
    pending_related=("department",), initial=R.ASSIGNED,
    initial_pending=lambda p: _department_q(p, "evaluation.rectify"),
    transitions=[
        workflow.Transition(
            name="plan", label="提交整改方案", source=(R.ASSIGNED,), target=R.RECTIFYING,
            permission="evaluation.rectify", may_act=_own_department, denial="只能办理本部门的整改事项",
            audit_action="evaluation.rectification.plan", apply=_plan, style="primary",
            pending=lambda p: _department_q(p, "evaluation.rectify"),
            required=(("measures", "整改措施"), ("person", "责任人"))),
        workflow.Transition(
            name="report", label="报告整改完成", source=(R.RECTIFYING,), target=R.RECHECKING,
            permission="evaluation.rectify", may_act=_own_department, denial="只能办理本部门的整改事项",
            audit_action="evaluation.rectification.report", apply=_report, style="primary",
            pending=lambda p: Q() if has_perm(p, "evaluation.review") else None,
            required=(("progress", "整改情况"),)),
        workflow.Transition(
            name="close", label="复查通过,予以销号", source=(R.RECHECKING,), target=R.CLOSED,
            permission="evaluation.review", audit_action="evaluation.rectification.close", apply=_close,
            style="primary", required=(("opinion", "复查意见"),)),
        workflow.Transition(
            name="reopen", label="复查未通过,继续整改", source=(R.RECHECKING,), target=R.RECTIFYING,
            permission="evaluation.review", audit_action="evaluation.rectification.reopen", apply=_reopen,
            style="danger", required=(("opinion", "复查意见"),)),
    ],
)


def _comment_workdays() -> int:
    from django.conf import settings

    return settings.EVALUATION_REPORT_COMMENT_WORKDAYS


def _consult(report: Report, principal: Principal, data: dict) -> dict:
    """Comments are open until the deadline: a date given by 区发改, or the setting's working days from today."""
    import datetime as dt

    given = str(data.get("comment_deadline") or "").strip()
    if given:
        try:
            deadline = dt.date.fromisoformat(given)
        except ValueError as exc:
            raise workflow.TransitionRefused("征求意见截止日期格式应为 YYYY-MM-DD", code="bad_date") from exc
        if deadline <= data["on"]:
            raise workflow.TransitionRefused("征求意见截止日期应晚于今天", code="bad_date")
    else:
        deadline = data["deadline"]
    report.comment_deadline = report.deadline = deadline
    return {"comment_deadline": str(deadline)}


def _comments_closed(report: Report) -> bool:
    from regshare.core.clock import today

    return report.comment_deadline is not None and report.comment_deadline < today()


def _revised(report: Report, principal: Principal, data: dict) -> dict:
    report.revision_note = str(data["revision_note"]).strip()
    return {"comments": report.comments.count()}


def _approved(report: Report, principal: Principal, data: dict) -> dict:
    report.approval_note = str(data["approval_note"]).strip()
    return {"approval_note": report.approval_note}


def _sent_back(report: Report, principal: Principal, data: dict) -> dict:
    report.approval_note = str(data["approval_note"]).strip()
    return {"approval_note": report.approval_note}


def _published(report: Report, principal: Principal, data: dict) -> dict:
    report.published_on = data["on"]
    report.deadline = None
    return {"published_on": str(report.published_on)}


def _manager_q(principal: Principal) -> Q | None:
    return Q() if has_perm(principal, "evaluation.manage") else None


def _approver_q(principal: Principal) -> Q | None:
    return Q() if has_perm(principal, "evaluation.approve_report") else None


REPORT = workflow.Workflow(
    name="evaluation.report", model="evaluation.Report", state_field="status", deadline_field="deadline",
    label="评估报告", pending_title=lambda r: r.title, pending_link=lambda r: f"/evaluation/reports/{r.pk}/",
    initial=P.DRAFT, initial_pending=_manager_q,
    transitions=[
        workflow.Transition(
            name="consult", label="发布征求意见稿", source=(P.DRAFT,), target=P.CONSULTING,
            permission="evaluation.manage", deadline_workdays=_comment_workdays, apply=_consult,
            audit_action="evaluation.report.consult", style="primary",
            fields=(("comment_deadline", "征求意见截止日期(YYYY-MM-DD,留空为设定的工作日数)"),)),
        workflow.Transition(
            name="revise", label="根据意见修改完成,报区政府审定", source=(P.CONSULTING,), target=P.REVISED,
            permission="evaluation.manage", when=_comments_closed, refusal="征求意见期尚未结束",
            refusal_code="comments_open", apply=_revised, audit_action="evaluation.report.revise",
            pending=_approver_q, style="primary", required=(("revision_note", "修改说明(意见采纳情况)"),)),
        workflow.Transition(
            name="approve", label="审定通过", source=(P.REVISED,), target=P.APPROVED,
            permission="evaluation.approve_report", apply=_approved, audit_action="evaluation.report.approve",
            pending=_manager_q, style="primary", required=(("approval_note", "审定意见"),)),
        workflow.Transition(
            name="send_back", label="退回修改", source=(P.REVISED,), target=P.DRAFT,
            permission="evaluation.approve_report", apply=_sent_back, audit_action="evaluation.report.send_back",
            style="danger", required=(("approval_note", "退回意见"),)),
        workflow.Transition(
            name="publish", label="在门户发布", source=(P.APPROVED,), target=P.PUBLISHED,
            permission="evaluation.manage", when=lambda r: bool(r.docx) and bool(r.pdf),
            refusal="请先生成报告的 Word 和 PDF 文件", refusal_code="files_missing", apply=_published,
            audit_action="evaluation.report.publish", style="primary"),
    ],
)


def _group_member(principal: Principal, topic) -> bool:
    if sees_everything(principal):
        return True
    mine = principal.department_id
    return mine is not None and (mine == topic.lead_id or topic.members.filter(pk=mine).exists())


def _analysed(topic, principal: Principal, data: dict) -> dict:
    if topic.kind in ANALYSES:
        topic.results = ANALYSES[topic.kind](topic.params or {}, data["on"])
    conclusion = str(data.get("conclusion") or "").strip()
    if conclusion:
        topic.conclusion = conclusion[:20000]
    if not topic.results and not topic.conclusion:
        raise workflow.TransitionRefused("自定义分析请填写分析结论", code="conclusion_required")
    topic.analysed_at = timezone.now()
    return {"kind": topic.kind}


def _reported(topic, principal: Principal, data: dict) -> dict:
    topic.report = str(data["report"]).strip()[:50000]
    topic.reported_on = data["on"]
    return {}


TOPIC = workflow.Workflow(
    name="evaluation.topic", model="evaluation.AnalysisTopic", state_field="status", deadline_field="deadline",
    label="协同分析专题", pending_title=lambda t: t.title, pending_link=lambda t: f"/evaluation/topics/{t.pk}/",
    initial=T.PLANNED, initial_pending=_manager_q,
    transitions=[
        workflow.Transition(
            name="analyse", label="运行分析", source=(T.PLANNED, T.ANALYSED), target=T.ANALYSED,
            permission="evaluation.manage", may_act=_group_member, denial="只有专题组成员部门可以分析",
            apply=_analysed, audit_action="evaluation.topic.analyse", style="primary",
            fields=(("conclusion", "分析结论"),)),
        workflow.Transition(
            name="report", label="形成专题报告报送区政府", source=(T.ANALYSED,), target=T.REPORTED,
            permission="evaluation.manage", may_act=_group_member, denial="只有专题组成员部门可以报送",
            apply=_reported, audit_action="evaluation.topic.report", style="primary",
            required=(("report", "专题报告"),)),
        workflow.Transition(
            name="close", label="结题", source=(T.REPORTED,), target=T.CLOSED, permission="evaluation.manage",
            may_act=_group_member, denial="只有专题组成员部门可以结题", audit_action="evaluation.topic.close"),
    ],
)


def register() -> None:
    workflow.register(SUBMISSION)
    workflow.register(RECTIFICATION)
    workflow.register(REPORT)
    workflow.register(TOPIC)
