import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regshare.core.models import AuditRecord, Department, Notification
from regshare.credit.models import CreditRecord
from regshare.entities.models import Entity
from regshare.supervision import services
from regshare.supervision.models import (
    Complaint,
    ComplaintStatus,
    DrawSelection,
    InspectionTask,
    Referral,
    RoutingRule,
    SupervisionItem,
    SupervisionRecord,
    TaskStatus,
)

DEMO_TASK = "柴桑双随机〔2026〕1号"


def dep(suffix):
    return Department.objects.get(code=f"360404-{suffix}")


def test_demo_draw_is_published_and_recomputable(sup):
    task = InspectionTask.objects.get(code=DEMO_TASK)
    assert task.status == TaskStatus.PUBLISHED and task.results_published_on
    record = services.published_record(task)
    lines = "\n".join(f"{p['code']},{p['stratum']}" for p in sorted(record["pool"], key=lambda p: p["code"]))
    assert record["pool_sha256"] == hashlib.sha256(lines.encode()).hexdigest()
    assert len(record["pool"]) == Entity.objects.count()
    assert services.verify_task(task)[0] is True
    assert services.verify_task(task, seed="0" * 64)[0] is False
    for row in record["selected"]:
        assert len(set(row["inspectors"])) == 2
        assert set(row["inspectors"]).isdisjoint(record["avoidance"].get(row["code"], []))
    # every stratum present in the pool got at least one object (every ratio > 0)
    assert {p["stratum"] for p in record["pool"]} == {s["stratum"] for s in record["selected"]}


def test_results_were_written_to_credit(sup):
    task = InspectionTask.objects.get(code=DEMO_TASK)
    selection = task.selections.exclude(outcome="").first()
    credit = CreditRecord.objects.get(kind="inspection", doc_no=f"{task.code}-{selection.code}")
    assert credit.entity_id == selection.entity_id
    assert credit.outcome in ("passed", "failed")


def test_a_second_draw_avoids_the_last_inspectors(sup, principal_of_user):
    admin = principal_of_user("admin")
    last = InspectionTask.objects.get(code=DEMO_TASK).selections.first()
    task = InspectionTask.objects.get(code="柴桑双随机〔2026〕2号")
    task.ratios = {k: "1" for k in task.ratios}
    task.save()
    task = services.publish_seed(admin, task, "ab" * 32)
    task = services.run_draw(admin, task)
    again = task.selections.get(code=last.code)
    assert set(again.inspector_ids).isdisjoint(last.inspector_ids)
    assert services.verify_task(task)[0]


def test_draw_needs_a_published_seed_and_the_right_department(sup, principal_of_user):
    task = InspectionTask.objects.get(code="柴桑双随机〔2026〕2号")
    with pytest.raises(ValidationError, match="不能抽取"):
        services.run_draw(principal_of_user("admin"), task)
    with pytest.raises(PermissionDenied):
        services.publish_seed(principal_of_user("yjj_admin"), task)
    assert InspectionTask.objects.get(pk=task.pk).status == TaskStatus.DRAFT


def test_zero_ratio_refused(sup, principal_of_user):
    with pytest.raises(ValidationError, match="大于0"):
        services.create_task(principal_of_user("scjg_admin"), code="X1", name="x", department=dep("SCJG"),
                             ratios={"A": "0", "B": "0.1", "C": "0.1", "D": "0.1", "未评价": "0.1"})


def test_penalty_is_referred_at_once_and_feeds_credit(sup, principal_of_user):
    entity = Entity.objects.order_by("uscc")[100]
    item = SupervisionItem.objects.get(catalog_code="36040400100304")
    record = services.create_record(principal_of_user("scjg_liaison"), {
        "kind": "penalty", "doc_no": "柴市监罚〔2026〕T9号", "item": item, "department": dep("SCJG"),
        "entity": entity, "decided_on": dt.date(2026, 10, 9), "severity": "general"})
    assert record.credit_record.kind == "penalty" and record.credit_record.entity_id == entity.pk
    targets = set(Referral.objects.filter(record=record).values_list("to_department__code", flat=True))
    assert targets == {"360404-SJJ", "360404-XZSP"}
    assert Notification.objects.filter(department=dep("XZSP"), title__contains="柴市监罚〔2026〕T9号").exists()
    # the referred department sees the record; an unrelated one does not
    assert SupervisionRecord.objects.visible_to(principal_of_user("xzsp_liaison")).filter(pk=record.pk).exists()
    assert not SupervisionRecord.objects.visible_to(principal_of_user("zjj_liaison")).filter(pk=record.pk).exists()


def test_record_for_another_department_refused(sup, principal_of_user):
    item = SupervisionItem.objects.first()
    with pytest.raises(PermissionDenied):
        services.create_record(principal_of_user("zjj_liaison"), {
            "kind": "licence", "doc_no": "X", "item": item, "department": dep("SCJG"),
            "entity": Entity.objects.first(), "decided_on": dt.date(2026, 10, 9)})


def test_complaint_routing_flow_and_transfer(sup, principal_of_user):
    admin = principal_of_user("admin")
    c = services.intake(admin, {"order_no": "T-1", "content": "小区旁工地夜间噪声扰民", "area": "360404",
                                "received_on": dt.date(2026, 11, 2)})
    assert c.department == dep("CGJ")
    assert c.deadline == dt.date(2026, 11, 11)  # 7 working days
    with pytest.raises(PermissionDenied):
        services.complaint_step(principal_of_user("scjg_liaison"), c, "accept")
    c = services.complaint_step(principal_of_user("cgj_liaison"), c, "accept", today=dt.date(2026, 11, 3))
    assert c.status == ComplaintStatus.ACCEPTED
    c = services.transfer(principal_of_user("cgj_liaison"), c, dep("ZJJ"), "属建筑施工噪声,由住建部门处理")
    assert c.department == dep("ZJJ")
    assert [e.action for e in c.events.all()][-1] == "转办"
    with pytest.raises(ValidationError, match="不能办结|不能"):
        services.complaint_step(principal_of_user("zjj_liaison"), c, "close")
    c = services.complaint_step(principal_of_user("zjj_liaison"), c, "handle", substantiated=True)
    assert AuditRecord.objects.filter(action="supervision.complaint.handle").exists()
    # the previous department still sees the order it transferred
    assert Complaint.objects.visible_to(principal_of_user("cgj_liaison")).filter(pk=c.pk).exists()


def test_dry_run_shows_orders_that_would_move(sup):
    proposed = list(RoutingRule.objects.all())
    food = next(r for r in proposed if r.category == "食品安全")
    food.department = dep("XZSP")
    result = services.dry_run(proposed)
    moved = Complaint.objects.filter(category="食品安全").count()
    assert result["changed"] == moved > 0
    assert all(e["after"] == "区行政审批局" for e in result["examples"])
    assert RoutingRule.objects.get(pk=food.pk).department == dep("SCJG")  # nothing saved


def test_overdue_complaints_raise_an_alarm(sup):
    far = services.overdue_complaints(dt.date(2027, 3, 1), far=True)
    assert far.exists()
    assert services.alarm_overdue_complaints(dt.date(2027, 3, 1)) == far.count()


def test_item_claim_codes_validated(sup, principal_of_user):
    item = SupervisionItem.objects.get(catalog_code="36040400700101")
    with pytest.raises(ValidationError, match="检查实施清单编码"):
        services.claim_item(principal_of_user("sthj_admin"), item, dep("STHJ"), "123")
    with pytest.raises(ValidationError, match="已认领"):
        services.claim_item(principal_of_user("sthj_admin"), item, dep("STHJ"),
                            item.claims.first().implementing_code[:18] + "9")


def test_case_timeline_seen_by_every_involved_department(sup, principal_of_user):
    from regshare.supervision.models import Case

    case = Case.objects.get()
    assert [e.action for e in case.events.all()][:2] == ["立案", "发起协查"]
    services.add_case_event(principal_of_user("gaj_liaison"), case, "公安协同", "已固定证据")
    for user in ("yjj_liaison", "scjg_liaison", "gaj_liaison"):
        assert Case.objects.visible_to(principal_of_user(user)).filter(pk=case.pk).exists()
    assert not Case.objects.visible_to(principal_of_user("zjj_liaison")).exists()


def test_selection_unique_per_task(sup):
    task = InspectionTask.objects.get(code=DEMO_TASK)
    assert DrawSelection.objects.filter(task=task).count() == len(set(task.selections.values_list("code", flat=True)))


def test_demo_step_is_idempotent(sup):
    from regshare.demo import DemoContext
    from regshare.demo import supervision as step
    from regshare.supervision.models import Case, Inspector

    before = (SupervisionItem.objects.count(), Inspector.objects.count(), Complaint.objects.count(),
              Case.objects.count(), InspectionTask.objects.count(), SupervisionRecord.objects.count())
    seed = InspectionTask.objects.get(code=DEMO_TASK).seed
    step.run(DemoContext(seed=1, entities=400, echo=lambda _m: None))
    after = (SupervisionItem.objects.count(), Inspector.objects.count(), Complaint.objects.count(),
             Case.objects.count(), InspectionTask.objects.count(), SupervisionRecord.objects.count())
    assert before == after
    assert seed == hashlib.sha256("柴桑区双随机演示:1".encode()).hexdigest()


def test_escalation_of_unpublished_results(sup, principal_of_user):
    task = InspectionTask.objects.get(code=DEMO_TASK)
    InspectionTask.objects.filter(pk=task.pk).update(status=TaskStatus.RESULTS_ENTERED, deadline=dt.date(2026, 10, 1))
    assert services.escalate_overdue(dt.date(2026, 10, 2)) == 1
    assert Notification.objects.filter(title__contains=task.code, department=dep("SCJG")).exists()
    assert services.escalate_overdue(dt.date(2026, 9, 30)) == 0


def test_open_work_orders_are_on_the_handling_departments_to_do_list_until_replied(sup, principal_of_user):
    from regshare.core import workflow

    def waiting(username):
        return [item.link for item in workflow.pending_for(principal_of_user(username)) if item.category == "投诉举报"]

    c = services.intake(principal_of_user("admin"), {"order_no": "T-TODO", "content": "小区旁工地夜间噪声扰民",
                                                     "area": "360404", "received_on": dt.date(2026, 11, 2)})
    link = f"/supervision/complaints/{c.pk}/"
    assert c.department == dep("CGJ")
    assert link in waiting("cgj_liaison") and link not in waiting("zjj_liaison")
    c = services.complaint_step(principal_of_user("cgj_liaison"), c, "accept", today=dt.date(2026, 11, 3))
    c = services.transfer(principal_of_user("cgj_liaison"), c, dep("ZJJ"), "属建筑施工噪声,由住建部门处理")
    assert link in waiting("zjj_liaison") and link not in waiting("cgj_liaison")
    c = services.complaint_step(principal_of_user("zjj_liaison"), c, "handle", substantiated=True)
    assert link in waiting("zjj_liaison")
    Complaint.objects.filter(pk=c.pk).update(status=ComplaintStatus.REPLIED)
    assert link not in waiting("zjj_liaison")
