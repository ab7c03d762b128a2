"""Joint supervision pages and API: assistance requests, cases with one timeline, conflict declarations, new
(joint) tasks — as the permitted user, another department, anonymous and a role without the permission."""

import datetime as dt

import pytest
import time_machine

from regshare.core.models import AuditRecord, Department
from regshare.core.workdays import add_workdays
from regshare.entities.models import Entity
from regshare.supervision import services
from regshare.supervision.models import (
    AssistanceRequest,
    AssistanceStatus,
    Case,
    CaseStatus,
    InspectionTask,
    Inspector,
    InspectorConflict,
    RandomItem,
    TaskStatus,
)

DAY = dt.date(2026, 6, 8)  # a Monday


def dep(suffix):
    return Department.objects.get(code=f"360404-{suffix}")


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 6, 8, 10, 0), tick=False):
        yield


def test_assistance_from_request_to_close_through_pages(sup, client_as, frozen):
    entity = Entity.objects.first()
    client = client_as("scjg_liaison")
    assert 'href="/supervision/assistance/new/"' in client.get("/supervision/assistance/").content.decode()
    bad = client.post("/supervision/assistance/new/", {"target": dep("YJJ").pk, "subject": "核查", "content": "x",
                                                       "entity": "91360404MA00000000"})
    assert bad.status_code == 200 and "统一社会信用代码" in bad.content.decode()
    assert not AssistanceRequest.objects.filter(subject="核查").exists()
    response = client.post("/supervision/assistance/new/", {
        "target": dep("YJJ").pk, "subject": "核查仓储地址", "content": "请协助核查实际经营地址", "entity": entity.uscc})
    req = AssistanceRequest.objects.get(subject="核查仓储地址")
    assert response.status_code == 302 and response["Location"] == f"/supervision/assistance/{req.pk}/"
    assert req.requester == dep("SCJG") and req.deadline == add_workdays(DAY, 10)
    # the requester cannot accept in the target's place; the target can, then replies
    client.post(f"/supervision/assistance/{req.pk}/", {"transition": "accept"})
    assert AssistanceRequest.objects.get(pk=req.pk).status == AssistanceStatus.REQUESTED
    target = client_as("yjj_liaison")
    page = target.get(f"/supervision/assistance/{req.pk}/").content.decode()
    assert "接收" in page and "请协助核查实际经营地址" in page
    target.post(f"/supervision/assistance/{req.pk}/", {"transition": "accept"})
    target.post(f"/supervision/assistance/{req.pk}/", {"transition": "reply", "reply": ""})
    assert AssistanceRequest.objects.get(pk=req.pk).status == AssistanceStatus.ACCEPTED
    target.post(f"/supervision/assistance/{req.pk}/", {"transition": "reply", "reply": "地址属实"})
    client_as("scjg_liaison").post(f"/supervision/assistance/{req.pk}/", {"transition": "close"})
    req.refresh_from_db()
    assert req.status == AssistanceStatus.CLOSED and req.reply == "地址属实"
    assert AuditRecord.objects.filter(action="supervision.assistance.closed").exists()
    assert client_as("sthj_liaison").get(f"/supervision/assistance/{req.pk}/").status_code == 404


def test_assistance_api(sup, client_as, frozen):
    client = client_as("scjg_liaison")
    created = client.post("/api/v1/supervision/assistance", {"target": "360404-YJJ", "subject": "调取许可档案",
                                                             "content": "请提供许可档案"}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["target"] == "区应急管理局" and body["actions"] == []
    unknown = client.post("/api/v1/supervision/assistance", {"target": "NOPE", "subject": "x", "content": "y"},
                          content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_department"
    assert "部门编码不存在" in unknown.json()["message"]
    target = client_as("yjj_liaison")
    detail = target.get(f"/api/v1/supervision/assistance/{body['id']}").json()
    assert [a["name"] for a in detail["actions"]] == ["accept"]
    assert target.post(f"/api/v1/supervision/assistance/{body['id']}/accept", {},
                       content_type="application/json").json()["status"] == "accepted"
    assert client_as("sthj_liaison").get(f"/api/v1/supervision/assistance/{body['id']}").status_code == 404
    listed = client_as("scjg_liaison").get("/api/v1/supervision/assistance", {"q": "许可档案"}).json()
    assert [r["id"] for r in listed["items"]] == [body["id"]]


def test_assistance_and_case_need_login_and_permission(sup, client, client_as):
    assert client.get("/api/v1/supervision/assistance").status_code == 401
    assert client.post("/api/v1/supervision/cases", {"title": "x", "summary": "y"},
                       content_type="application/json").status_code == 401
    analyst = client_as("fgj_analyst")  # reads supervision, takes no part in cases
    assert analyst.post("/api/v1/supervision/cases", {"title": "x", "summary": "y"},
                        content_type="application/json").status_code == 403
    assert analyst.get("/supervision/cases/new/").status_code == 403


def test_case_timeline_seen_and_written_by_every_involved_department(sup, client_as, frozen):
    entity = Entity.objects.first()
    lead = client_as("scjg_liaison")
    assert 'href="/supervision/cases/new/"' in lead.get("/supervision/cases/").content.decode()
    lead.post("/supervision/cases/new/", {"title": "跨部门无证经营案", "kind": "case", "summary": "举报线索",
                                          "entity": entity.uscc, "departments": [dep("GAJ").pk]})
    case = Case.objects.get(title="跨部门无证经营案")
    assert case.lead_department == dep("SCJG") and list(case.departments.all()) == [dep("GAJ")]
    partner = client_as("gaj_liaison")
    page = partner.get(f"/supervision/cases/{case.pk}/").content.decode()
    assert "举报线索" in page and "记入时间线" in page and "开始调查处置" not in page  # steps belong to the lead
    partner.post(f"/supervision/cases/{case.pk}/", {"form": "event", "action": "协助调取监控", "note": "已调取"})
    lead = client_as("scjg_liaison")  # one test client: signing in as another user switches it
    lead.post(f"/supervision/cases/{case.pk}/", {"transition": "investigate", "note": "联合检查"})
    api = lead.get(f"/api/v1/supervision/cases/{case.pk}").json()
    assert api["status"] == CaseStatus.INVESTIGATING
    assert [(e["department"], e["action"]) for e in api["timeline"]] == [
        ("区市场监管局", "立案"), ("公安分局", "协助调取监控"), ("区市场监管局", "开始调查处置")]
    assert api["deadline"] == str(add_workdays(DAY, 30))
    assert client_as("sthj_liaison").get(f"/supervision/cases/{case.pk}/").status_code == 404
    assert client_as("sthj_liaison").get(f"/api/v1/supervision/cases/{case.pk}").status_code == 404
    step = client_as("scjg_liaison").post(f"/api/v1/supervision/cases/{case.pk}/close", {"note": ""}, content_type="application/json")
    assert step.status_code == 400 and Case.objects.get(pk=case.pk).status == CaseStatus.INVESTIGATING


def test_conflict_declared_by_the_inspector_is_avoided_in_the_next_draw(sup, client_as, principal_of_user):
    me = Inspector.objects.get(user__username="scjg_inspector")
    entity = Entity.objects.exclude(pk__in=InspectorConflict.objects.values("entity")).first()
    client = client_as("scjg_inspector")
    assert 'href="/supervision/conflicts/new/"' in client.get("/supervision/conflicts/").content.decode()
    client.post("/supervision/conflicts/new/", {"inspector": me.pk, "entity": entity.uscc, "reason": "曾在该企业任职"})
    conflict = InspectorConflict.objects.get(inspector=me, entity=entity)
    assert conflict.declared_by and conflict.declared_on
    again = client.post("/supervision/conflicts/new/", {"inspector": me.pk, "entity": entity.uscc, "reason": "重复"})
    assert "已申报" in again.content.decode()
    # another inspector of the same department may not declare for him
    before = InspectorConflict.objects.count()
    other = client_as("scjg_inspector2").post("/supervision/conflicts/new/",
                                              {"inspector": me.pk, "entity": Entity.objects.last().uscc, "reason": "代报"})
    assert other.status_code == 200 and InspectorConflict.objects.count() == before
    assert me.pk in services._avoidance([entity.uscc])[entity.uscc]
    seen_elsewhere = client_as("yjj_inspector").get("/api/v1/supervision/conflicts").json()["items"]
    assert all(c["department"] != "区市场监管局" for c in seen_elsewhere)
    assert client_as("scjg_inspector2").post(f"/supervision/conflicts/{conflict.pk}/withdraw/").status_code == 302
    assert InspectorConflict.objects.filter(pk=conflict.pk).exists()
    client_as("scjg_admin").post(f"/supervision/conflicts/{conflict.pk}/withdraw/")
    assert not InspectorConflict.objects.filter(pk=conflict.pk).exists()
    assert AuditRecord.objects.filter(action="supervision.conflict_withdrawn").exists()


def test_conflict_api_validates_the_code(sup, client_as):
    me = Inspector.objects.get(user__username="scjg_inspector")
    client = client_as("scjg_inspector")
    bad = client.post("/api/v1/supervision/conflicts", {"inspector_id": me.pk, "uscc": "123", "reason": "x"},
                      content_type="application/json")
    assert bad.status_code == 400 and "18位" in bad.json()["message"]
    entity = Entity.objects.exclude(pk__in=InspectorConflict.objects.values("entity")).first()
    ok = client.post("/api/v1/supervision/conflicts", {"inspector_id": me.pk, "uscc": entity.uscc, "reason": "亲属"},
                     content_type="application/json")
    assert ok.status_code == 201 and ok.json()["name"] == entity.name
    assert client.delete(f"/api/v1/supervision/conflicts/{ok.json()['id']}").status_code == 204


def test_joint_task_with_control_group_created_drawn_and_verified(sup, client_as, principal_of_user):
    client = client_as("scjg_admin")
    assert 'href="/supervision/tasks/new/"' in client.get("/supervision/tasks/").content.decode()
    form = client.get("/supervision/tasks/new/").content.decode()
    assert "随机对照组比例" in form and "联合部门" in form
    bad = client.post("/supervision/tasks/new/", {"code": "T-bad", "name": "x", "inspectors_per_object": 2,
                                                  "control_ratio": "2"})
    assert "随机对照组比例应在0到1之间" in bad.content.decode() and not InspectionTask.objects.filter(code="T-bad")
    item = RandomItem.objects.first()
    response = client.post("/supervision/tasks/new/", {
        "code": "柴桑联合〔2026〕9号", "name": "市场监管与应急联合抽查", "joint_departments": [dep("YJJ").pk],
        "items": [item.pk], "inspectors_per_object": 2, "control_ratio": "0.05"})
    task = InspectionTask.objects.get(code="柴桑联合〔2026〕9号")
    assert response["Location"] == f"/supervision/tasks/{task.pk}/"
    assert list(task.joint_departments.all()) == [dep("YJJ")] and task.control_ratio == "0.05"
    admin = principal_of_user("admin")
    task = services.run_draw(admin, services.publish_seed(admin, task, "12" * 32))
    assert task.status == TaskStatus.DRAWN
    control = task.selections.filter(control=True)
    assert control.count() == -(-len(task.pool) * 5 // 100)
    ok, message = services.verify_task(task)
    assert ok and "随机对照组" in message
    record = services.published_record(task)
    assert record["extensions"]["control-v1"]["codes"] == sorted(control.values_list("code", flat=True))
    inspectors = {i.pk: i.department.code for i in Inspector.objects.select_related("department")}
    assert {inspectors[i] for s in task.selections.all() for i in s.inspector_ids} <= {
        "360404-SCJG", "360404-YJJ"}
