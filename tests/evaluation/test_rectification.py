"""Rectification as a declared workflow: assigned → plan → report → close (销号) or reopen; overdue escalation."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regshare.core import workflow
from regshare.core.models import AuditRecord, Department, Notification
from regshare.evaluation import services
from regshare.evaluation.models import RectificationStatus as R


@pytest.fixture
def item(demo, principal_of_user, time_machine):
    time_machine.move_to(dt.datetime(2026, 9, 1, 10), tick=False)
    xzsp = Department.objects.get(code="360404-XZSP")
    return services.create_rectification(principal_of_user("fgj_analyst"), "网上办理率低于全市平均水平",
                                         "提高网上办理率至 85% 以上", xzsp, dt.date(2026, 10, 30))


def test_rectification_runs_to_closing(item, principal_of_user):
    assert item.number == "ZG2026-0001" and item.status == R.ASSIGNED
    assert Notification.objects.filter(department=item.department, title__contains=item.number).exists()
    xzsp = principal_of_user("xzsp_liaison")
    assert [t.name for t in workflow.available(xzsp, item)] == ["plan"]
    assert workflow.available(principal_of_user("scjg_liaison"), item) == []
    with pytest.raises(PermissionDenied):
        workflow.perform(principal_of_user("scjg_liaison"), item, "plan", measures="x", person="y")
    with pytest.raises(workflow.TransitionRefused, match="责任人"):
        workflow.perform(xzsp, item, "plan", measures="推行全程网办")
    workflow.perform(xzsp, item, "plan", measures="推行全程网办", person="张三")
    workflow.perform(xzsp, item, "report", progress="网上办理率已达 87%")
    analyst = principal_of_user("fgj_analyst")
    workflow.perform(analyst, item, "reopen", opinion="佐证材料不足")
    assert item.status == R.RECTIFYING
    workflow.perform(xzsp, item, "report", progress="已补充佐证材料")
    workflow.perform(analyst, item, "close", opinion="整改到位,予以销号")
    item.refresh_from_db()
    assert item.status == R.CLOSED and item.closed_at is not None and "87%" in item.progress
    assert AuditRecord.objects.filter(action="evaluation.rectification.close").exists()


def test_overdue_item_is_escalated_once(item, time_machine):
    assert services.escalate_overdue(dt.date(2026, 10, 30)) == 0
    assert services.escalate_overdue(dt.date(2026, 10, 31)) == 1
    assert services.escalate_overdue(dt.date(2026, 11, 2)) == 0
    item.refresh_from_db()
    assert item.escalated_at is not None
    assert Notification.objects.filter(title__contains="督办").count() == 1


def test_pending_lists_and_api(item, principal_of_user, client_as):
    titles = [p.title for p in workflow.pending_for(principal_of_user("xzsp_liaison"))]
    assert any(item.number in t for t in titles)
    client = client_as("xzsp_liaison")
    data = client.get(f"/api/v1/evaluation/rectifications/{item.pk}").json()
    assert [a["name"] for a in data["actions"]] == ["plan"]
    response = client.post(f"/api/v1/evaluation/rectifications/{item.pk}/plan", {"measures": "全程网办", "person": "李四"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "rectifying"
    response = client.post(f"/api/v1/evaluation/rectifications/{item.pk}/close", {"opinion": "x"},
                           content_type="application/json")
    assert response.status_code in (400, 403)
    page = client_as("xzsp_liaison").get(f"/evaluation/rectifications/{item.pk}/").content.decode()
    assert "报告整改完成" in page
    assert client_as("scjg_liaison").get(f"/evaluation/rectifications/{item.pk}/").status_code == 404


def test_meeting_decisions_become_tracked_tasks(demo, principal_of_user, client_as, time_machine):
    time_machine.move_to(dt.datetime(2026, 7, 10, 10), tick=False)
    decisions = services.parse_decisions("360404-XZSP | 推行食品经营许可全程网办 | 2026-09-30\n"
                                         "区住建局 | 压缩施工许可审批时间至 10 个工作日 | 2026-10-31\n")
    meeting = services.record_meeting(principal_of_user("fgj_analyst"), "half_year", "2026年上半年评估工作协调会议",
                                      dt.date(2026, 7, 8), "通报上半年评估结果,部署下半年任务。", [], decisions)
    tasks = list(meeting.tasks.order_by("deadline"))
    assert [t.department.name for t in tasks] == ["区行政审批局", "区住建局"]
    assert all(t.kind == "meeting" and t.status == R.ASSIGNED for t in tasks)
    with pytest.raises(ValidationError, match="第 1 行"):
        services.parse_decisions("不存在的部门 | 任务 | 2026-09-30")
    assert "推行食品经营许可全程网办" in client_as("fgj_analyst").get("/evaluation/meetings/").content.decode()
    response = client_as("fgj_analyst").post("/api/v1/evaluation/meetings", {
        "kind": "monthly", "title": "7月协调会", "held_on": "2026-07-09", "minutes": "研究数据共享问题",
        "decisions": [{"task": "补齐目录", "department": "360404-SCJG", "deadline": "2026-08-31"}]},
        content_type="application/json")
    assert response.status_code == 201 and len(response.json()["tasks"]) == 1
