"""Security-incident register: register → report → cut the channel → handle → close by a second person;
who may see and act; bad input refused in Chinese with nothing changed; deadlines per grade; audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from regshare.core.models import AuditRecord, Notification
from regshare.exchange import services as exchange
from regshare.exchange.models import Delivery, DeliveryStatus, GrantStatus
from regshare.incidents import services
from regshare.incidents.models import Incident, IncidentStatus, ReportLevel
from regshare.lake import tables as lake

from .conftest import small_registry

ROWS_URL = "/api/v1/resources/SCJG-0001/rows"
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


def register(principal_of_user, grant=None, *, user="scjg_liaison", grade="major", at=NOW, **extra):
    return services.register_incident(principal_of_user(user), services.IncidentInput(
        title="授权令牌疑似泄露", grade=grade, description="凌晨出现大量异常查询。",
        discovered_at=at - dt.timedelta(minutes=20), grant_ids=[grant.pk] if grant else [], **extra), now=at)


def incident_payload(grant, **overrides) -> dict:
    payload = {"title": "授权令牌疑似泄露", "grade": "major", "description": "凌晨出现大量异常查询。",
               "discovered_at": (timezone.now() - dt.timedelta(minutes=30)).isoformat(), "grants": [grant.pk]}
    payload.update(overrides)
    return payload


def actions_on(incident: Incident) -> list[str]:
    return list(AuditRecord.objects.filter(target=f"incidents.incident:{incident.pk}").order_by("seq")
                .values_list("action", flat=True))


# ----------------------------------------------------------------------------- the whole way, over the API


def test_register_report_cut_and_close_by_a_second_person(client_as, api, grant, token, subscription):
    assert api("get", ROWS_URL, token).status_code == 200  # the channel is open before the incident

    client = client_as("scjg_liaison")
    created = api("post", "/api/v1/incidents", data=incident_payload(grant))
    assert created.status_code == 201, created.content
    body = created.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["grade_label"] == "重大" and body["status"] == "reporting"
    # 重大: one hour from discovery, fixed at registration.
    assert incident.report_deadline == incident.discovered_at + dt.timedelta(hours=1)
    assert sorted(body["departments"]) == ["360404-XZSP"]  # the consumer; the provider registered it
    assert Notification.objects.filter(department__is_data_bureau=True, kind="incidents.registered").exists()
    assert Notification.objects.filter(department__code="360404-XZSP", kind="incidents.registered").exists()

    url = f"/api/v1/incidents/{incident.pk}"
    for level, recipient in (("bureau", "区数据管理局"), ("upward", "九江市市场监督管理局")):
        answer = api("post", f"{url}/report", data={"level": level, "recipient": recipient, "content": "已书面报告"})
        assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "handling"
    assert all(r["on_time"] for r in answer.json()["reports"])

    client_as("sjj_admin")
    cut = api("post", f"{url}/cut", data={"reason": "疑似令牌泄露,暂停系统调用"})
    assert cut.status_code == 200, cut.content
    assert cut.json()["channel_cut_at"] is not None
    # The grant's token no longer reads data; its subscription and the waiting push have stopped.
    client.logout()
    refused = api("get", ROWS_URL, token)
    assert refused.status_code == 401 and "rows" not in refused.json()  # the revoked token no longer authenticates
    subscription.refresh_from_db()
    assert subscription.active is False
    assert subscription.deliveries.get().status == DeliveryStatus.STOPPED
    lake.write("SCJG-0001", small_registry(5), mode="replace")
    assert Delivery.objects.filter(subscription=subscription).count() == 1  # the new version is not pushed
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE  # cut, not revoked
    # While the incident is open, the consumer cannot reopen the channel with a new token.
    client_as("xzsp_admin")
    reissue = api("post", f"/api/v1/grants/{grant.pk}/tokens", data={"name": "新令牌"})
    assert reissue.status_code == 400 and reissue.json()["code"] == "channel_cut"
    assert incident.number in reissue.json()["message"]

    client_as("xzsp_liaison")  # the involved consumer logs its own handling
    step = api("post", f"{url}/steps", data={"description": "已删除泄露的令牌配置文件并更换服务器口令"})
    assert step.status_code == 201, step.content

    client_as("scjg_liaison")  # the person who registered it may not close it, nor may a non-bureau department
    assert api("post", f"{url}/close", data={"review": "同意结案"}).status_code == 403
    client_as("sjj_leader")
    closed = api("post", f"{url}/close", data={"review": "报告及时,通道已切断,原因已查明;同意结案。"})
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"
    assert [s["kind"] for s in closed.json()["steps"]] == ["register", "report", "report", "cut", "handling", "close"]
    assert actions_on(incident) == ["incidents.register", "incidents.report", "incidents.report",
                                    "incidents.handling", "incidents.cut", "incidents.step", "incidents.close"]
    assert AuditRecord.objects.filter(action="exchange.grant.cut", target=f"exchange.grant:{grant.pk}").exists()
    assert Notification.objects.filter(department__code="360404-XZSP", kind="incidents.closed").exists()
    # Once closed, the consumer may issue a token again.
    client_as("xzsp_admin")
    assert api("post", f"/api/v1/grants/{grant.pk}/tokens", data={"name": "新令牌"}).status_code == 201


def test_the_registrant_cannot_close_even_in_the_data_bureau(principal_of_user, client_as, grant):
    incident = register(principal_of_user, grant, user="sjj_admin")
    assert incident.bureau_reported_at == NOW  # the bureau registering it is the report to the bureau
    who = principal_of_user("sjj_admin")
    services.report(who, incident, ReportLevel.UPWARD, "九江市数据管理局", "已报告", now=NOW)
    services.cut_channel(who, incident, "暂停调用", now=NOW)
    with pytest.raises(PermissionDenied, match="登记人以外"):
        services.close(who, incident, "同意结案", now=NOW)
    close_form = 'name="action" value="close"'
    assert close_form not in client_as("sjj_admin").get(f"/incidents/{incident.pk}/").content.decode()
    assert close_form in client_as("sjj_reviewer").get(f"/incidents/{incident.pk}/").content.decode()
    assert services.close(principal_of_user("sjj_reviewer"), incident, "同意结案", now=NOW).status == "closed"


def test_revoking_the_grant_from_the_incident(principal_of_user, grant, token):
    incident = register(principal_of_user, grant)
    services.revoke_grant(principal_of_user("scjg_admin"), incident, grant.pk, "超范围使用", now=NOW)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED and incident.number in grant.end_reason
    assert "incidents.revoke" in actions_on(incident)
    assert AuditRecord.objects.filter(action="exchange.grant.revoke", target=f"exchange.grant:{grant.pk}").exists()
    with pytest.raises(ValidationError) as refused:
        services.revoke_grant(principal_of_user("scjg_admin"), incident, grant.pk + 1000, "无关授权", now=NOW)
    assert refused.value.code == "grant_not_involved"


# ----------------------------------------------------------------------------- who may see and act


def test_another_departments_liaison_cannot_see_or_act(client_as, api, principal_of_user, grant):
    incident = register(principal_of_user, grant)
    url = f"/api/v1/incidents/{incident.pk}"
    client_as("swj_liaison")  # 区税务局: neither registered nor involved
    listed = api("get", "/api/v1/incidents")
    assert listed.status_code == 200 and listed.json()["items"] == []
    client_as("sjj_admin")
    refused = api("get", "/api/v1/incidents", data={"grade": "重大\x00"})
    assert refused.status_code == 400 and refused.json()["code"] == "bad_text"
    assert [i["id"] for i in api("get", "/api/v1/incidents", data={"grade": "major"}).json()["items"]] == [incident.pk]
    client_as("swj_liaison")
    assert api("get", url).status_code == 404
    assert api("post", f"{url}/steps", data={"description": "试图登记"}).status_code == 404
    assert api("post", f"{url}/cut", data={"reason": "试图切断"}).status_code == 404
    assert client_as("swj_liaison").get(f"/incidents/{incident.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.add_step(principal_of_user("swj_liaison"), incident, "试图登记", now=NOW)
    assert incident.steps.count() == 1  # registration only
    # The involved consumer sees it; the auditor sees every incident but cannot act on one.
    client_as("xzsp_liaison")
    assert [i["id"] for i in api("get", "/api/v1/incidents").json()["items"]] == [incident.pk]
    client_as("auditor")
    assert api("get", url).status_code == 200
    assert api("post", f"{url}/steps", data={"description": "审计员试图登记"}).status_code == 403


def test_only_the_provider_or_the_data_bureau_cuts_the_channel(principal_of_user, grant, token):
    incident = register(principal_of_user, grant)
    with pytest.raises(PermissionDenied, match="提供部门或数据管理部门"):
        services.cut_channel(principal_of_user("xzsp_liaison"), incident, "使用部门试图切断", now=NOW)
    assert incident.channel_cut_at is None
    assert services.open_channels(incident) == [grant]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("override, code, words", [
    ({"grade": "严重"}, "bad_grade", "事件等级须为"),
    ({"title": "  "}, "missing_title", "事件名称"),
    ({"description": ""}, "missing_description", "事件经过"),
    ({"grants": [999999]}, "unknown_grant", "共享授权不存在"),
    ({"resources": ["NOPE-0001"]}, "unknown_resource", "数据资源不存在"),
    ({"title": "泄露\ud800"}, "bad_text", "无效字符"),
    ({"description": "经过\x00"}, "bad_text", "空字符"),
    ({"resources": ["\udc00"]}, "bad_text", "无效字符"),
    ({"discovered_at": "1999-12-31T08:00:00+08:00"}, "bad_discovered_at", "2000"),
])
def test_bad_registration_is_refused_in_chinese_and_changes_nothing(client_as, api, grant, override, code, words):
    client_as("scjg_liaison")
    before = (Incident.objects.count(), AuditRecord.objects.filter(action="incidents.register").count())
    answer = api("post", "/api/v1/incidents", data=incident_payload(grant, **override))
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == code and words in answer.json()["message"]
    assert (Incident.objects.count(), AuditRecord.objects.filter(action="incidents.register").count()) == before


def test_discovery_in_the_future_is_refused(client_as, api, grant):
    client_as("scjg_liaison")
    later = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    answer = api("post", "/api/v1/incidents", data=incident_payload(grant, discovered_at=later))
    assert answer.status_code == 400 and answer.json()["message"] == "发现时间不能晚于当前时间"
    assert not Incident.objects.exists()


def test_closing_before_reports_handling_or_cut_is_refused(client_as, api, principal_of_user, grant, token):
    incident = register(principal_of_user, grant, at=timezone.now())
    url = f"/api/v1/incidents/{incident.pk}"
    client_as("sjj_leader")

    def close_code() -> str:
        answer = api("post", f"{url}/close", data={"review": "同意结案"})
        assert answer.status_code == 400
        return answer.json()["code"]

    assert close_code() == "not_reported"
    liaison = principal_of_user("scjg_liaison")
    services.report(liaison, incident, ReportLevel.BUREAU, "区数据管理局", "已报告")
    services.report(liaison, incident, ReportLevel.UPWARD, "市市场监管局", "已报告")
    assert close_code() == "no_handling"
    services.add_step(liaison, incident, "核查调用记录")
    assert close_code() == "channel_open"
    assert "仍未切断" in api("post", f"{url}/close", data={"review": "同意结案"}).json()["message"]
    assert api("post", f"{url}/close", data={"review": " "}).json()["code"] == "review_required"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.HANDLING and "incidents.close" not in actions_on(incident)


def test_reporting_twice_and_acting_on_a_closed_incident_are_refused(principal_of_user, grant):
    incident = register(principal_of_user, grant)
    liaison = principal_of_user("scjg_liaison")
    services.report(liaison, incident, ReportLevel.BUREAU, "区数据管理局", "已报告", now=NOW)
    with pytest.raises(ValidationError) as twice:
        services.report(liaison, incident, ReportLevel.BUREAU, "区数据管理局", "再报一次", now=NOW)
    assert twice.value.code == "already_reported"
    with pytest.raises(ValidationError) as bad_level:
        services.report(liaison, incident, "sideways", "某处", "内容", now=NOW)
    assert bad_level.value.code == "bad_level"
    with pytest.raises(ValidationError) as early:
        services.add_step(liaison, incident, "发现之前的处置", NOW - dt.timedelta(days=1), now=NOW)
    assert early.value.code == "bad_time"
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    incident.refresh_from_db()
    with pytest.raises(ValidationError) as closed:
        services.add_step(liaison, incident, "结案后补记", now=NOW)
    assert closed.value.code == "incident_closed"


# ----------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize("grade, hours", [("especially_major", 1), ("major", 1), ("large", 2), ("general", 24)])
def test_report_deadline_is_fixed_at_discovery_by_grade(principal_of_user, grade, hours):
    incident = register(principal_of_user, grade=grade)
    assert incident.report_hours == hours
    assert incident.report_deadline == NOW - dt.timedelta(minutes=20) + dt.timedelta(hours=hours)


def test_hours_are_a_setting(principal_of_user, settings):
    settings.REGSHARE_INCIDENT_REPORT_HOURS = {"general": 12}
    assert register(principal_of_user, grade="general").report_hours == 12


def test_overdue_reports_are_flagged_once_and_late_reports_marked(principal_of_user):
    incident = register(principal_of_user, grade="large")  # deadline: discovery + 2 h = NOW + 1 h 40 min
    assert services.flag_overdue_reports(NOW + dt.timedelta(hours=1)) == 0
    assert not incident.report_overdue(NOW + dt.timedelta(hours=1))
    late = NOW + dt.timedelta(hours=3)
    assert services.flag_overdue_reports(late) == 1
    assert services.flag_overdue_reports(late) == 0  # once
    assert Notification.objects.filter(kind="incidents.overdue", department__is_data_bureau=True).exists()
    assert Notification.objects.filter(kind="incidents.overdue", department__code="360404-SCJG").exists()
    assert AuditRecord.objects.filter(action="incidents.overdue", target=f"incidents.incident:{incident.pk}").exists()
    entry = services.report(principal_of_user("scjg_liaison"), incident, ReportLevel.BUREAU, "区数据管理局",
                            "补报", now=late)
    incident.refresh_from_db()
    assert entry.on_time is False and incident.report_overdue(late)


# ----------------------------------------------------------------------------- pages and demo


def test_pages_list_filter_register_and_detail(client_as, principal_of_user, grant):
    register(principal_of_user, grant, grade="general")
    client = client_as("scjg_liaison")
    page = client.get("/incidents/?grade=general")
    assert page.status_code == 200 and "授权令牌疑似泄露" in page.content.decode()
    assert "授权令牌疑似泄露" not in client.get("/incidents/?grade=major").content.decode()
    created = client.post("/incidents/new/", {
        "title": "测试页面登记", "grade": "large", "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "description": "页面登记的事件", "grants": f"#{grant.pk}"})
    assert created.status_code == 302
    incident = Incident.objects.get(title="测试页面登记")
    detail = client.get(created["Location"]).content.decode()
    assert incident.number in detail and "较大" in detail and "登记报告" in detail
    bad = client.post("/incidents/new/", {"title": "x", "grade": "large", "description": "y", "grants": "abc",
                                          "discovered_at": "2026-01-01T08:00"})
    assert bad.status_code == 200 and "授权编号须为数字" in bad.content.decode()
    assert any(item["label"] == "安全事件" for group in client.get("/").context["nav_menu"]
               for item in group["items"])


def test_demo_has_one_closed_incident(demo):
    from regshare.demo import build

    build(seed=1, entities=0, steps=("regshare.demo.exchange", "regshare.demo.incidents"))
    build(seed=1, entities=0, steps=("regshare.demo.incidents",))  # idempotent
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.CLOSED and incident.closed_by.username == "sjj_leader"
    assert incident.registered_by.username == "scjg_liaison"
    assert all(r.on_time for r in incident.reports.all())
    assert exchange.check_channel_open(incident.grants.get()) is None
