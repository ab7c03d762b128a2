"""Alerts: the workflow with working-day deadlines and feedback, who sees which alert on the pages and in the
API, filters and pages, precision per rule and model version, and the lift over random inspection."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from regshare.core import workdays
from regshare.core.models import AuditRecord, Department

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)
DAY = dt.datetime(2025, 6, 3, 10, 0)  # a Tuesday; chinesecalendar knows 2025


def _dept(suffix: str) -> Department:
    return Department.objects.get(code__endswith=f"-{suffix}")


@pytest.fixture
def make_alert(demo):
    from regshare.entities.models import Entity
    from regshare.risk.models import Alert, RiskRule

    def make(department: str = "SCJG", status: str = "dispatched", rule: str | None = "R001", **extra) -> Alert:
        n = next(_numbers)
        entity = Entity.objects.create(uscc=f"9136040400000{n:05d}", name=f"预警测试企业{n}", name_norm=f"预警测试企业{n}",
                                       industry="H6210")
        return Alert.objects.create(
            number=f"YJT{n:06d}", entity=entity, source="rule" if rule else "model",
            rule=RiskRule.objects.get(code=rule) if rule else None, level="C", score=50, title="近30日食品类投诉集中",
            reasons=[{"text": "近30日食品类投诉3件", "contribution": None}], department=_dept(department),
            status=status, raised_on=dt.date(2025, 6, 1), **extra)

    return make


def test_verify_act_close_with_working_day_deadlines_and_feedback(make_alert, principal_of_user):
    from regshare.risk import services
    from regshare.risk.models import AlertStatus

    alert = make_alert()
    inspector = principal_of_user("scjg_inspector")
    with time_machine.travel(DAY, tick=False):
        with pytest.raises(PermissionDenied):
            services.perform(principal_of_user("yjj_inspector"), alert, "verify", verification="属实")
        with pytest.raises(Exception, match="核实情况"):
            services.perform(inspector, alert, "verify", verification=" ")
        alert.refresh_from_db()
        assert alert.status == AlertStatus.DISPATCHED
        services.perform(inspector, alert, "verify", verification="现场核实属实")
        assert alert.deadline == workdays.add_workdays(DAY.date(), 10)
        services.perform(inspector, alert, "act", action_taken="责令整改")
        assert alert.deadline == workdays.add_workdays(DAY.date(), 5)
        services.perform(inspector, alert, "close", feedback="整改完毕")
    alert.refresh_from_db()
    assert (alert.status, alert.confirmed, alert.closed_on, alert.deadline) == ("closed", True, DAY.date(), None)
    assert AuditRecord.objects.filter(action="risk.alert.closed", target__contains=str(alert.pk)).exists()
    dismissed = make_alert()
    services.perform(inspector, dismissed, "dismiss", verification="不属实")
    assert dismissed.confirmed is False
    assert services.precision("rule") == [{"key": "近30日食品类投诉集中", "closed": 2, "confirmed": 1, "precision": 0.5}]


def test_precision_per_model_version_and_lift():
    from regshare.risk import services

    assert services.lift([(False, "corrected"), (False, "passed"), (True, "passed"), (True, "passed"),
                          (True, "transferred"), (True, "passed"), (False, "")]) == {
        "model_selected": 2, "control": 4, "model_hit_rate": 0.5, "control_hit_rate": 0.25, "lift": 2.0}
    assert services.lift([])["lift"] is None


def test_alert_list_page_and_api_show_a_department_its_own_alerts(make_alert, client_as, client):
    mine = make_alert("SCJG")
    theirs = make_alert("YJJ")
    page = client_as("scjg_inspector").get("/risk/alerts/")
    assert page.status_code == 200
    text = page.content.decode()
    assert mine.number in text and theirs.number not in text
    assert client.get(f"/risk/alerts/{theirs.pk}/").status_code == 404
    api = client.get("/api/v1/risk/alerts").json()
    assert [a["number"] for a in api["items"]] == [mine.number]
    assert api["items"][0]["status_label"] == "已分派待核实"
    assert client.get(f"/api/v1/risk/alerts/{theirs.pk}").status_code == 404
    assert client.get("/api/v1/risk/alerts?status=no-such").json()["items"] == []
    assert client_as("admin").get("/api/v1/risk/alerts").json()["count"] >= 2


def test_alert_api_refuses_anonymous_and_roles_without_the_permission(make_alert, client, client_as):
    alert = make_alert()
    assert client.get("/api/v1/risk/alerts").status_code == 401
    assert client_as("scjg_liaison").get("/api/v1/risk/alerts").status_code == 403
    assert client_as("scjg_liaison").get("/risk/alerts/").status_code == 403
    response = client_as("scjg_inspector").post(f"/api/v1/risk/alerts/{alert.pk}/close", {"feedback": "x"},
                                                content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "wrong_state"
    response = client_as("scjg_inspector").post(f"/api/v1/risk/alerts/{alert.pk}/verify", {"verification": "属实"},
                                                content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "verified"


def test_page_two_of_the_alert_queue(make_alert, client_as):
    for _ in range(23):
        make_alert()
    client = client_as("scjg_inspector")
    first = client.get("/api/v1/risk/alerts").json()
    second = client.get("/api/v1/risk/alerts?page=2").json()
    assert first["count"] == 23 and len(first["items"]) == 20 and len(second["items"]) == 3
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}
    assert client.get("/risk/alerts/?page=2").status_code == 200


def test_the_alert_page_offers_the_steps_and_performs_a_posted_one(make_alert, client_as):
    alert = make_alert()
    client = client_as("scjg_inspector")
    page = client.get(f"/risk/alerts/{alert.pk}/").content.decode()
    assert "核实属实" in page and "核实排除" in page
    client.post(f"/risk/alerts/{alert.pk}/", {"transition": "verify", "verification": ""})
    alert.refresh_from_db()
    assert alert.status == "dispatched"
    client.post(f"/risk/alerts/{alert.pk}/", {"transition": "verify", "verification": "属实"})
    alert.refresh_from_db()
    assert alert.status == "verified" and alert.verification == "属实"


def test_score_api_lists_scores_by_score_with_filters(demo, client, client_as):
    from regshare.entities.models import Entity
    from regshare.risk.models import RiskScore

    for n, (score, level) in enumerate([(80.0, "D"), (20.0, "C"), (3.0, "A")]):
        entity = Entity.objects.create(uscc=f"9136040400000S{n:04d}", name=f"评分测试企业{n}", name_norm=f"评分测试企业{n}")
        RiskScore.objects.create(entity=entity, score=score, probability=score / 100, level=level,
                                 computed_on=dt.date(2025, 6, 1),
                                 reasons=[{"text": "近30日投诉举报2件", "contribution": 0.4}])
    assert client.get("/api/v1/risk/scores").status_code == 401
    assert client_as("scjg_liaison").get("/api/v1/risk/scores").status_code == 403
    items = client_as("sjj_analyst").get("/api/v1/risk/scores").json()["items"]
    assert [i["score"] for i in items] == [80.0, 20.0, 3.0]
    assert items[0]["level_label"] == "D类(信用风险高)" and items[0]["reasons"][0]["text"] == "近30日投诉举报2件"
    assert [i["score"] for i in client.get("/api/v1/risk/scores?level=C").json()["items"]] == [20.0]
    assert client.get("/api/v1/risk/scores?level=Z").json()["items"] == []
    assert AuditRecord.objects.filter(action="risk.scores_viewed").exists()
