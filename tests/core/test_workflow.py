"""The workflow engine on a throw-away workflow over the catalog's data demands (待满足 → 已匹配 → 已关闭)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from regshare.core import workflow
from regshare.core.models import AuditRecord
from regshare.core.permissions import Principal


def _notify(obj, principal, data):
    obj.note = f"{obj.note}|notified"
    obj.save(update_fields=["note"])


def _apply(obj, principal, data):
    obj.note = data.get("reason", "")
    return {"reason": obj.note}


@pytest.fixture
def flow():
    def requester_only(principal, obj):
        return principal.department_id == obj.requester_id

    flow = workflow.Workflow(
        name="test.demand", model="catalog.Demand", state_field="status", label="测试需求",
        pending_title=lambda d: f"处理需求:{d.title}", pending_link=lambda d: f"/demands/{d.pk}/",
        transitions=[
            workflow.Transition(
                name="match", label="标记已匹配", source=("open",), target="matched",
                permission="catalog.demand", may_act=requester_only, audit_action="test.demand.matched",
                apply=_apply, notify=_notify, required=(("reason", "匹配说明"),),
                pending=lambda principal: Q(requester_id=principal.department_id),
            ),
            workflow.Transition(
                name="close", label="关闭需求", source=("matched", "open"), target="closed",
                permission="catalog.demand", may_act=requester_only,
                when=lambda d: bool(d.title), refusal="没有标题的需求不能关闭"),
        ],
    )
    # The test's workflow stands in for the catalog's own on the same model while it runs.
    catalog_flow = workflow.get("catalog.demand")
    workflow.unregister(catalog_flow.name)
    workflow.register(flow)
    yield flow
    workflow.unregister("test.demand")
    workflow.register(catalog_flow)


@pytest.fixture
def demand(demo, user_named):
    from regshare.catalog.models import Demand

    return Demand.objects.create(title="企业登记信息", requester=user_named("xzsp_liaison").department)


def test_perform_changes_state_audits_applies_and_notifies_in_one_go(flow, demand, principal_of_user):
    liaison = principal_of_user("xzsp_liaison")
    assert [t.name for t in workflow.available(liaison, demand)] == ["match", "close"]

    workflow.perform(liaison, demand, "match", reason="已有资源 SCJG-0001")

    demand.refresh_from_db()
    assert demand.status == "matched" and demand.note == "已有资源 SCJG-0001|notified"
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.action == "test.demand.matched" and record.actor == "user:xzsp_liaison"
    assert record.target == f"catalog.demand:{demand.pk}"
    assert '"from": "open"' in record.detail and '"to": "matched"' in record.detail
    assert [t.name for t in workflow.available(liaison, demand)] == ["close"]


def test_wrong_state_is_refused_in_chinese_and_changes_nothing(flow, demand, principal_of_user):
    liaison = principal_of_user("xzsp_liaison")
    workflow.perform(liaison, demand, "close")
    before = AuditRecord.objects.count()
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.perform(liaison, demand, "match", reason="x")
    assert isinstance(refused.value, ValidationError)
    assert refused.value.messages == ["当前状态为「已关闭」,不能标记已匹配"]
    assert AuditRecord.objects.count() == before


def test_missing_data_and_object_rule_are_refused(flow, demand, principal_of_user):
    liaison = principal_of_user("xzsp_liaison")
    with pytest.raises(workflow.TransitionRefused, match="匹配说明"):
        workflow.perform(liaison, demand, "match", reason="  ")
    demand.title = ""
    demand.save()
    with pytest.raises(workflow.TransitionRefused, match="没有标题的需求不能关闭"):
        workflow.perform(liaison, demand, "close")
    demand.refresh_from_db()
    assert demand.status == "open"
    assert [t.name for t in workflow.available(liaison, demand)] == ["match"]


@pytest.mark.parametrize("who", [None, "xzsp_reviewer", "swj_liaison"], ids=["anonymous", "no-permission",
                                                                          "other-department"])
def test_wrong_user_gets_permission_denied(flow, demand, principal_of_user, who):
    principal = principal_of_user(who) if who else Principal()
    before = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        workflow.perform(principal, demand, "match", reason="x")
    assert workflow.available(principal, demand) == []
    demand.refresh_from_db()
    assert demand.status == "open" and AuditRecord.objects.count() == before


def test_a_failing_side_effect_rolls_the_state_change_back(flow, demand, principal_of_user):
    def broken(obj, principal, data):
        raise ValidationError("通知发送失败")

    workflow.register(workflow.Workflow(
        name="test.demand", model="catalog.Demand", state_field="status",
        transitions=[workflow.Transition(name="match", label="标记已匹配", source=("open",), target="matched",
                                         permission="catalog.demand", notify=broken)]))
    before = AuditRecord.objects.count()
    with pytest.raises(ValidationError):
        workflow.perform(principal_of_user("xzsp_liaison"), demand, "match")
    demand.refresh_from_db()
    assert demand.status == "open" and AuditRecord.objects.count() == before


def test_unknown_transition_is_refused(flow, demand, principal_of_user):
    with pytest.raises(workflow.TransitionRefused, match="没有名为"):
        workflow.perform(principal_of_user("xzsp_liaison"), demand, "explode")


def test_deadline_of_the_next_step_counts_working_days(demo, user_named, principal_of_user):
    from regshare.catalog.models import UpdateObligation

    workflow.register(workflow.Workflow(
        name="test.obligation", model="catalog.UpdateObligation", state_field="reason",
        deadline_field="due_date",
        transitions=[workflow.Transition(name="escalate", label="升级", source=tuple(UpdateObligation.Reason.values),
                                         target=UpdateObligation.Reason.values[0], permission="catalog.obligation",
                                         deadline_workdays=3)]))
    try:
        obligation = UpdateObligation.objects.create(department=user_named("xzsp_liaison").department,
                                                     reason=UpdateObligation.Reason.values[-1],
                                                     changed_on=dt.date(2025, 9, 1),
                                                     due_date=dt.date(2026, 1, 1))
        # Thursday 2025-09-25: Friday, then Sunday 09-28 (an adjusted working day 调休), then Monday 09-29.
        with time_machine.travel(dt.datetime(2025, 9, 25, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
            workflow.perform(principal_of_user("xzsp_liaison"), obligation, "escalate")
        obligation.refresh_from_db()
        assert obligation.due_date == dt.date(2025, 9, 29)
        # Before the National Day holiday: 10-01…10-08 are off; 10-09, 10-10 and Saturday 10-11 (调休) count.
        with time_machine.travel(dt.datetime(2025, 9, 30, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
            workflow.perform(principal_of_user("xzsp_liaison"), obligation, "escalate")
        obligation.refresh_from_db()
        assert obligation.due_date == dt.date(2025, 10, 11)
    finally:
        workflow.unregister("test.obligation")


def test_pending_for_lists_objects_waiting_for_the_principal(flow, demand, principal_of_user, user_named):
    from regshare.catalog.models import Demand

    liaison = principal_of_user("xzsp_liaison")
    assert [i.title for i in workflow.pending_for(liaison) if i.category == "测试需求"] == []
    workflow.perform(liaison, demand, "match", reason="ok")
    Demand.objects.create(title="他部门需求", requester=user_named("swj_liaison").department, status="matched")
    items = [i for i in workflow.pending_for(liaison) if i.category == "测试需求"]
    assert [(i.title, i.link) for i in items] == [("处理需求:企业登记信息", f"/demands/{demand.pk}/")]
    assert [i for i in workflow.pending_for(Principal()) if i.category == "测试需求"] == []


def test_dashboard_to_do_list_is_the_workflow_list():
    from regshare.core import dashboard

    assert dashboard.pending_for is workflow.pending_for
    assert dashboard.register_pending is workflow.register_pending


def test_two_workflows_may_not_declare_the_same_transition_on_one_model(flow):
    with pytest.raises(ValueError, match="match"):
        workflow.register(workflow.Workflow(
            name="test.other", model="catalog.Demand", state_field="status",
            transitions=[workflow.Transition(name="match", label="x", source=("open",), target="matched",
                                             permission="catalog.demand")]))


@pytest.fixture
def scheduled_flow(flow):
    """The test workflow plus a step the scheduler takes and one a page offers through its own form."""
    extra = workflow.Workflow(
        name="test.demand.extra", model="catalog.Demand", state_field="status", label="测试需求",
        transitions=[
            workflow.Transition(name="lapse", label="逾期关闭", source=("open",), target="closed",
                                permission="catalog.demand", automatic=True, audit_action="test.demand.lapsed",
                                apply=lambda d, p, data: {"actor": data["actor"], "by_person": p.is_authenticated}),
            workflow.Transition(name="pick", label="选择资源", source=("open",), target="matched",
                                permission="catalog.demand", offered=False),
        ],
    )
    workflow.register(extra)
    yield extra
    workflow.unregister(extra.name)


def test_a_scheduled_step_is_refused_to_people_and_taken_by_the_system(scheduled_flow, demand, principal_of_user):
    liaison = principal_of_user("xzsp_liaison")
    assert "lapse" not in [t.name for t in workflow.available(liaison, demand)]
    with pytest.raises(PermissionDenied, match="系统按期自动办理"):
        workflow.perform(liaison, demand, "lapse")
    demand.refresh_from_db()
    assert demand.status == "open"
    with pytest.raises(PermissionDenied):
        workflow.perform_scheduled(demand, "match", reason="x")  # a person's step is not the scheduler's

    workflow.perform_scheduled(demand, "lapse")

    demand.refresh_from_db()
    assert demand.status == "closed"
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.action == "test.demand.lapsed" and record.actor == "system"
    assert '"actor": "system"' in record.detail and '"by_person": false' in record.detail


def test_a_step_offered_by_a_page_of_its_own_is_left_out_of_the_generic_form(scheduled_flow, demand,
                                                                            principal_of_user):
    liaison = principal_of_user("xzsp_liaison")
    assert "pick" not in [t.name for t in workflow.available(liaison, demand)]
    assert workflow.may_perform(liaison, demand, "pick")
    workflow.perform(liaison, demand, "pick")
    demand.refresh_from_db()
    assert demand.status == "matched"
