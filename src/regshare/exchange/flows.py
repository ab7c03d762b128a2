"""The sharing application and the correction as declared workflows (seed 002 第十四至十六条).

An application runs 平台符合性审查 → (有条件共享:) 提供部门审核 → 已通过, or is refused; a refusal by
the provider may go to 部门协商 and then to the data bureau's 协调, whose decision is final. Each stage
is a ``ReviewStep`` with its own working-day deadline, opened by the transition that enters the stage.
A correction is answered by the provider within its deadline. Every rule of who acts when is here;
``services`` keeps its functions as the named entry points and hands them to ``workflow.perform``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Min, Q
from django.utils import timezone

from regshare.catalog.models import ShareType
from regshare.core import workflow
from regshare.core.permissions import Principal, has_perm, is_data_bureau

from .models import (
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

S = ApplicationStatus
SELF_REVIEW_MESSAGE = "不能审核本部门提交的共享申请,须由其他有权部门审核"
OPEN_STATES = (S.PLATFORM_REVIEW, S.PROVIDER_REVIEW, S.NEGOTIATION, S.COORDINATION)


def _services():
    from . import services  # services re-exports this module's entry points; imported late to avoid a cycle

    return services


def _link(application: Application) -> str:
    return f"/exchange/applications/{application.pk}/"


# ----------------------------------------------------------------------------- who acts

def _own(principal: Principal, application: Application) -> bool:
    """A department never decides on its own application (the data bureau's included, and a delegate
    acting for the provider): negotiation, where both sides take part, is not a decision of this kind."""
    return principal.department_id is not None and principal.department_id == application.requester_id


def _bureau_not_own(principal: Principal, application: Application) -> bool:
    return is_data_bureau(principal) and not _own(principal, application)


def _is_delegate(principal: Principal, application: Application) -> bool:
    return principal.user is not None and _services().applications._is_delegate(principal, application.resource)


def _provider_not_own(principal: Principal, application: Application) -> bool:
    if _own(principal, application):
        return False
    if has_perm(principal, "exchange.review") and principal.department_id == application.resource.provider_id:
        return True
    return _is_delegate(principal, application)


def _provider(principal: Principal, application: Application) -> bool:
    return principal.department_id == application.resource.provider_id


def _either_side(principal: Principal, application: Application) -> bool:
    return principal.department_id in (application.resource.provider_id, application.requester_id)


def _requester(principal: Principal, application: Application) -> bool:
    return principal.department_id is not None and principal.department_id == application.requester_id


def _review_denial(principal: Principal, application: Application) -> str:
    return SELF_REVIEW_MESSAGE if _own(principal, application) else "您不是该环节的审核人"


# ----------------------------------------------------------------------------- what a transition writes

def _current_step(application: Application) -> ReviewStep:
    step = application.steps.filter(decision=Decision.PENDING).order_by("-id").first()
    if step is None:
        raise workflow.TransitionRefused("该申请当前没有待办理的环节", code="no_pending_step")
    return step


def _decide(application: Application, principal: Principal, decision: str, reason: str) -> ReviewStep:
    step = _current_step(application)
    step.decision, step.reason = decision, reason
    step.decided_by, step.decided_at = principal.user, timezone.now()
    step.delegated = step.stage == Stage.PROVIDER and principal.department_id != application.resource.provider_id
    step.save()
    return step


def _narrow_clear_fields(application: Application, data: dict) -> None:
    clear_fields = data.get("clear_fields")
    if clear_fields is None:
        return
    if set(clear_fields) - set(application.clear_fields):
        raise workflow.TransitionRefused("只能缩小申请的明文数据项范围", code="unknown_field")
    application.clear_fields = [f for f in application.clear_fields if f in clear_fields]


def _open_step(application: Application, stage: str, department: Any, data: dict, reason: str = "") -> None:
    ReviewStep.objects.create(application=application, stage=stage, department=department, opened_on=data["on"],
                              deadline=data["deadline"], reason=reason)


def _review_detail(step: ReviewStep, approve: bool, reason: str) -> dict:
    return {"stage": step.stage, "approve": approve, "reason": reason, "delegated": step.delegated}


def _approve_step(application: Application, principal: Principal, data: dict) -> dict:
    reason = (data.get("reason") or "").strip()
    step = _decide(application, principal, Decision.APPROVE, reason)
    _narrow_clear_fields(application, data)
    if application.status == S.APPROVED:
        application.decided_at = timezone.now()
    return _review_detail(step, True, reason)


def _pass_to_provider(application: Application, principal: Principal, data: dict) -> dict:
    detail = _approve_step(application, principal, data)
    _open_step(application, Stage.PROVIDER, application.resource.provider, data)
    return detail


def _reject_step(application: Application, principal: Principal, data: dict) -> dict:
    reason = data["reason"].strip()
    step = _decide(application, principal, Decision.REJECT, reason)
    _narrow_clear_fields(application, data)
    application.decided_at = timezone.now()
    data["stage_label"] = step.get_stage_display()
    return _review_detail(step, False, reason)


def _then_grant(apply):
    def approve(application: Application, principal: Principal, data: dict) -> dict:
        detail = apply(application, principal, data)
        _services().applications._create_grant(application)
        return detail

    return approve


def _notify_provider(application: Application, principal: Principal, data: dict) -> None:
    from regshare.core import services as core

    resource = application.resource
    core.notify_department(resource.provider, "exchange.review", f"共享申请待审核:{application.number}",
                           f"{application.requester.name} 申请 {resource.name},请于 {data['deadline']} 前答复。",
                           _link(application))


def _notify_rejected(application: Application, principal: Principal, data: dict) -> None:
    from regshare.core import services as core

    core.notify_department(application.requester, "exchange.rejected", f"共享申请被驳回:{application.number}",
                           f"{data.get('stage_label', '')}驳回,理由:{data['reason'].strip()}", _link(application))


def _start_negotiation(application: Application, principal: Principal, data: dict) -> dict:
    note = data["note"].strip()
    _open_step(application, Stage.NEGOTIATION, application.resource.provider, data, reason=note)
    application.decided_at = None
    return {"note": data["note"]}


def _rejected_by_provider(application: Application) -> bool:
    rejected = application.steps.filter(decision=Decision.REJECT).order_by("-id").first()
    return rejected is not None and rejected.stage == Stage.PROVIDER


def _notify_negotiation(application: Application, principal: Principal, data: dict) -> None:
    from regshare.core import services as core

    core.notify_department(application.resource.provider, "exchange.negotiation",
                           f"共享申请进入协商:{application.number}", data["note"], _link(application))


def _conclude(agreed: bool):
    def conclude(application: Application, principal: Principal, data: dict) -> dict:
        note = data["note"].strip()
        step = _current_step(application)
        step.decision = Decision.AGREED if agreed else Decision.FAILED
        step.reason = f"{step.reason}\n协商结果:{note}".strip()
        step.decided_by, step.decided_at = principal.user, timezone.now()
        step.save()
        if agreed:
            application.decided_at = timezone.now()
        else:
            _open_step(application, Stage.COORDINATION, _services().data_bureau(), data)
        return {"agreed": agreed, "note": data["note"]}

    return conclude


def _notify_coordination(application: Application, principal: Principal, data: dict) -> None:
    from regshare.core import services as core

    core.notify_data_bureau("exchange.coordination", f"共享争议待协调:{application.number}", data["note"],
                            _link(application))


def _coordinate(approve: bool):
    def decide(application: Application, principal: Principal, data: dict) -> dict:
        reason = data["reason"].strip()
        _decide(application, principal, Decision.APPROVE if approve else Decision.REJECT, reason)
        application.decided_at = timezone.now()
        if approve:
            _services().applications._create_grant(application)
        return {"approve": approve, "reason": reason}

    return decide


def _notify_coordinated(application: Application, principal: Principal, data: dict) -> None:
    from regshare.core import services as core

    approve = application.status == S.APPROVED
    for department in (application.requester, application.resource.provider):
        core.notify_department(department, "exchange.coordination", f"协调决定:{application.number}",
                               ("同意共享" if approve else "不予共享") + f",理由:{data['reason'].strip()}",
                               _link(application))


def _withdraw(application: Application, principal: Principal, data: dict) -> None:
    application.steps.filter(decision=Decision.PENDING).update(decision=Decision.REJECT, reason="申请部门撤回",
                                                               decided_at=timezone.now(), decided_by=principal.user)
    application.decided_at = timezone.now()


def _conditional(application: Application) -> bool:
    return application.resource.share_type == ShareType.CONDITIONAL


# ----------------------------------------------------------------------------- to-do lists

def _waiting_bureau(principal: Principal) -> Q | None:
    if not has_perm(principal, "exchange.review") or not is_data_bureau(principal):
        return None
    return ~Q(requester_id=principal.department_id) if principal.department_id else Q()


def _waiting_provider(principal: Principal) -> Q | None:
    if principal.department_id is None or not has_perm(principal, "exchange.review"):
        return None
    return Q(resource__provider_id=principal.department_id) & ~Q(requester_id=principal.department_id)


def _waiting_either_side(principal: Principal) -> Q | None:
    if principal.department_id is None or not has_perm(principal, "exchange.review"):
        return None
    return Q(resource__provider_id=principal.department_id) | Q(requester_id=principal.department_id)


def _waiting_provider_of_correction(principal: Principal) -> Q | None:
    if principal.department_id is None or not has_perm(principal, "exchange.provide"):
        return None
    return Q(resource__provider_id=principal.department_id)


def _step_title(application: Application) -> str:
    stage = {S.PLATFORM_REVIEW: Stage.PLATFORM, S.PROVIDER_REVIEW: Stage.PROVIDER, S.NEGOTIATION: Stage.NEGOTIATION,
             S.COORDINATION: Stage.COORDINATION}[application.status]
    return f"{stage.label}:{application.number} {application.resource.name}"


# ----------------------------------------------------------------------------- declarations

def _review(name: str, label: str, source: str, target: str, *, may_act, delegate=None, **kwargs: Any):
    return workflow.Transition(name=name, label=label, source=(source,), target=target,
                               permission="exchange.review", may_act=may_act, delegate=delegate,
                               denial=_review_denial, missing_code="reason_required", **kwargs)


REASON = (("reason", "驳回理由和依据"),)
OPINION = (("reason", "审核意见"),)
NOTE = (("note", "协商情况"),)

APPLICATION = workflow.Workflow(
    name="exchange.application", model="exchange.Application", state_field="status", label="共享审核",
    initial=S.PLATFORM_REVIEW, wrong_state_code="wrong_stage",
    pending_title=_step_title, pending_link=_link, pending_related=("resource",),
    pending_annotations={"open_deadline": Min("steps__deadline", filter=Q(steps__decision=Decision.PENDING))},
    pending_deadline="open_deadline",
    transitions=[
        _review("platform_pass", "审查通过,转提供部门审核", S.PLATFORM_REVIEW, S.PROVIDER_REVIEW,
                may_act=_bureau_not_own, when=_conditional, refusal="无条件共享资源审查通过即授权",
                deadline_workdays=lambda: _services().provider_review_days(),
                audit_action="exchange.application.review", apply=_pass_to_provider, notify=_notify_provider,
                pending=_waiting_provider, style="primary", fields=OPINION),
        _review("platform_approve", "审查通过", S.PLATFORM_REVIEW, S.APPROVED, may_act=_bureau_not_own,
                when=lambda a: not _conditional(a), refusal="有条件共享资源须经提供部门审核",
                audit_action="exchange.application.review", apply=_then_grant(_approve_step), style="primary",
                fields=OPINION),
        _review("platform_reject", "驳回", S.PLATFORM_REVIEW, S.REJECTED, may_act=_bureau_not_own, required=REASON,
                audit_action="exchange.application.review", apply=_reject_step, notify=_notify_rejected,
                style="danger"),
        _review("provider_approve", "同意共享", S.PROVIDER_REVIEW, S.APPROVED, may_act=_provider_not_own,
                delegate=_is_delegate, audit_action="exchange.application.review",
                apply=_then_grant(_approve_step), style="primary", fields=OPINION),
        _review("provider_reject", "不予共享", S.PROVIDER_REVIEW, S.REJECTED, may_act=_provider_not_own,
                delegate=_is_delegate, required=REASON, audit_action="exchange.application.review",
                apply=_reject_step, notify=_notify_rejected, style="danger"),
        workflow.Transition(
            name="negotiate", label="发起协商", source=(S.REJECTED,), target=S.NEGOTIATION,
            permission="exchange.apply", may_act=_requester, denial="只有申请部门可以发起协商",
            when=_rejected_by_provider, refusal="只有被提供部门驳回的有条件共享申请可以协商", refusal_code="wrong_stage",
            required=(("note", "履职确需使用的理由"),), missing_code="reason_required",
            deadline_workdays=lambda: _services().negotiation_days(), audit_action="exchange.application.negotiate",
            apply=_start_negotiation, notify=_notify_negotiation, pending=_waiting_either_side),
        _review("negotiation_agree", "协商一致,同意共享", S.NEGOTIATION, S.APPROVED, may_act=_provider,
                required=NOTE, audit_action="exchange.application.negotiation_result", apply=_then_grant(_conclude(True)),
                style="primary"),
        _review("negotiation_fail", "协商未果,提请协调", S.NEGOTIATION, S.COORDINATION, may_act=_either_side,
                required=NOTE, deadline_workdays=lambda: _services().coordination_days(),
                audit_action="exchange.application.negotiation_result", apply=_conclude(False),
                notify=_notify_coordination, pending=_waiting_bureau),
        _review("coordinate_approve", "协调决定:同意共享", S.COORDINATION, S.APPROVED, may_act=_bureau_not_own,
                required=(("reason", "协调理由"),), audit_action="exchange.application.coordinate",
                apply=_coordinate(True), notify=_notify_coordinated, style="primary"),
        _review("coordinate_reject", "协调决定:不予共享", S.COORDINATION, S.REJECTED, may_act=_bureau_not_own,
                required=(("reason", "协调理由"),), audit_action="exchange.application.coordinate",
                apply=_coordinate(False), notify=_notify_coordinated, style="danger"),
        workflow.Transition(
            name="withdraw", label="撤回申请", source=OPEN_STATES, target=S.WITHDRAWN, permission="exchange.apply",
            may_act=_requester, denial="只有申请部门可以撤回", audit_action="exchange.application.withdraw",
            apply=_withdraw, style="danger", confirm="确定撤回该申请?"),
    ],
    initial_pending=_waiting_bureau,
)

# The transitions that decide a stage, by stage: the review queue lists the steps where one is available.
DECISIONS = {
    Stage.PLATFORM: ("platform_pass", "platform_approve", "platform_reject"),
    Stage.PROVIDER: ("provider_approve", "provider_reject"),
    Stage.NEGOTIATION: ("negotiation_agree", "negotiation_fail"),
    Stage.COORDINATION: ("coordinate_approve", "coordinate_reject"),
}


# ----------------------------------------------------------------------------- corrections

def _answer(accept: bool):
    def answer(correction: Correction, principal: Principal, data: dict) -> dict:
        from .corrections import write_correction

        text = data["answer"].strip()
        correction.new_version = write_correction(correction, data.get("corrected_value") or None) if accept else None
        correction.answer, correction.answered_by, correction.answered_at = text, principal.user, timezone.now()
        return {"accept": accept, "answer": text, "new_version": correction.new_version}

    return answer


def _notify_answered(correction: Correction, principal: Principal, data: dict) -> None:
    from regshare.core import services as core

    accepted = correction.status == CorrectionStatus.CORRECTED
    core.notify_department(correction.reporter, "exchange.correction", f"纠错已答复:{correction.resource.name}",
                           ("已更正," if accepted else "经核实无误,") + data["answer"].strip(),
                           f"/exchange/corrections/{correction.pk}/")


def _correction_provider(principal: Principal, correction: Correction) -> bool:
    return principal.department_id is not None and principal.department_id == correction.resource.provider_id


def _answer_transition(name: str, label: str, target: str, accept: bool) -> workflow.Transition:
    return workflow.Transition(
        name=name, label=label, source=(CorrectionStatus.OPEN,), target=target, permission="exchange.provide",
        may_act=_correction_provider, denial="只有提供部门可以答复纠错", required=(("answer", "校核意见"),),
        missing_code="missing_text", audit_action="exchange.correction.answer", apply=_answer(accept),
        notify=_notify_answered, style="primary" if accept else "",
        fields=(("corrected_value", "更正值(留空则采用建议值)"),) if accept else ())


CORRECTION = workflow.Workflow(
    name="exchange.correction", model="exchange.Correction", state_field="status", deadline_field="deadline",
    label="数据纠错", initial=CorrectionStatus.OPEN, wrong_state_code="already_answered",
    pending_title=lambda c: f"校核 {c.resource.name} 的 {c.field}",
    pending_link=lambda c: f"/exchange/corrections/{c.pk}/", pending_related=("resource",),
    initial_pending=_waiting_provider_of_correction,
    transitions=[
        _answer_transition("accept", "确有错误,更正", CorrectionStatus.CORRECTED, True),
        _answer_transition("keep", "核实无误", CorrectionStatus.REJECTED, False),
    ],
)


# ----------------------------------------------------------------------------- grants (002 第二十二条)

def _provider_or_bureau(principal: Principal, grant: Grant) -> bool:
    return is_data_bureau(principal) or (
        principal.department_id is not None and principal.department_id == grant.resource.provider_id)


def _ended(reason: str):
    """The grant ends: who and why are kept on it, and its channel closes (tokens, subscriptions, pushes)."""
    def end(grant: Grant, principal: Principal, data: dict) -> dict:
        text = reason or str(data.get("reason") or "").strip()
        grant.ended_at = timezone.now()
        grant.ended_by = str(principal) if principal.is_authenticated else str(data.get("actor") or "system")
        grant.end_reason = text
        _services().grants._close_channel(grant, grant.ended_at)
        return {"reason": text} if not reason else {"expires_on": str(grant.expires_on)}

    return end


def _notify_ended(subject: str, body: str):
    def notify(grant: Grant, principal: Principal, data: dict) -> None:
        from regshare.core import services as core

        text = body.format(reason=grant.end_reason)
        core.notify_department(grant.consumer, f"exchange.{grant.status}", f"{subject}:{grant.resource.name}", text,
                               f"/exchange/grants/{grant.pk}/")

    return notify


def _copies_to_destroy(principal: Principal) -> Q | None:
    """An ended grant waits for its consumer to record the destruction of the copies (002 第二十二条)."""
    if principal.user is None or principal.department_id is None or not has_perm(principal, "exchange.destroy"):
        return None
    return Q(consumer_id=principal.department_id, destructions__isnull=True)


# The grant's only to-do item is the destruction record after it ends: its label names that duty.
GRANT = workflow.Workflow(
    name="exchange.grant", model="exchange.Grant", state_field="status", label="销毁登记",
    wrong_state_code="grant_not_active", pending_related=("resource",),
    pending_title=lambda g: f"授权已终止,请登记 {g.resource.name} 副本的销毁",
    pending_link=lambda g: f"/exchange/grants/{g.pk}/",
    transitions=[
        workflow.Transition(
            name="revoke", label="收回授权", source=(GrantStatus.ACTIVE,), target=GrantStatus.REVOKED,
            permission="exchange.revoke", may_act=_provider_or_bureau, denial="只有提供部门或数据管理部门可以收回授权",
            required=(("reason", "收回理由"),), missing_code="reason_required", audit_action="exchange.grant.revoke",
            apply=_ended(""), notify=_notify_ended("授权已被收回", "理由:{reason}。请销毁已获取数据的副本并登记销毁记录。"),
            pending=_copies_to_destroy, style="danger", confirm="收回后使用部门的令牌和订阅立即失效,确定收回?"),
        workflow.Transition(
            name="expire", label="到期终止", source=(GrantStatus.ACTIVE,), target=GrantStatus.EXPIRED,
            permission="exchange.revoke", automatic=True, audit_action="exchange.grant.expire",
            apply=_ended("到期"), notify=_notify_ended("授权已到期", "请销毁已获取数据的副本并登记销毁记录。"),
            pending=_copies_to_destroy),
    ],
)


def register() -> None:
    workflow.register(APPLICATION)
    workflow.register(CORRECTION)
    workflow.register(GRANT)
