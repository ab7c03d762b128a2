"""Collaborative analysis topics: group, data through grants, built-in analyses, report, feedback."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from regshare.core import workflow
from regshare.core.models import Department
from regshare.entities.models import Entity
from regshare.evaluation import services
from regshare.evaluation.models import AnalysisTopic, IndicatorValue, TopicStatus
from regshare.ingest.rules import uscc_check_char


def dep(suffix):
    return Department.objects.get(code=f"360404-{suffix}")


def make_entity(n, industry, established, status="存续"):
    body = f"91360404MT{n:07d}"
    return Entity.objects.create(uscc=body + uscc_check_char(body), name=f"趋势测试企业{n}有限公司",
                                 name_norm=f"趋势测试企业{n}", industry=industry, established=established,
                                 status=status)


def test_approval_topic_from_page_to_feedback(evaluation_demo, client_as):
    client = client_as("fgj_analyst")
    assert 'href="/evaluation/topics/new/"' in client.get("/evaluation/topics/").content.decode()
    client.post("/evaluation/topics/new/", {"title": "审批效率专题", "kind": "approval", "method": "按期比较平均审批时间",
                                            "members": [dep("XZSP").pk], "months": 12})
    topic = AnalysisTopic.objects.get(title="审批效率专题")
    assert topic.lead == dep("FGJ") and list(topic.members.all()) == [dep("XZSP")]
    client.post(f"/evaluation/topics/{topic.pk}/", {"transition": "analyse", "conclusion": "审批时间逐期缩短"})
    topic.refresh_from_db()
    assert topic.status == TopicStatus.ANALYSED
    expected = IndicatorValue.objects.filter(indicator__code="SP-01", department=None, industry="").order_by("period")
    assert topic.results["periods"] == [v.period for v in expected]
    assert topic.results["overall"]["SP-01"] == [round(v.value, 4) for v in expected]
    page = client.get(f"/evaluation/topics/{topic.pk}/").content.decode()
    assert "审批效率(全区)" in page and "平均审批时间" in page
    client.post(f"/evaluation/topics/{topic.pk}/", {"do": "feedback", "applied_to": "x", "effect": "y"})
    assert not topic.feedback.exists()  # no feedback before the report
    client.post(f"/evaluation/topics/{topic.pk}/", {"transition": "report", "report": ""})
    assert AnalysisTopic.objects.get(pk=topic.pk).status == TopicStatus.ANALYSED
    client.post(f"/evaluation/topics/{topic.pk}/", {"transition": "report", "report": "建议推广即办件"})
    client_as("xzsp_liaison").post(f"/evaluation/topics/{topic.pk}/", {
        "do": "feedback", "applied_to": "窗口即办件改革", "effect": "即办件比例提高"})
    feedback = topic.feedback.get()
    assert feedback.department == dep("XZSP") and feedback.applied_to == "窗口即办件改革"
    assert "窗口即办件改革" in client_as("fgj_analyst").get(f"/evaluation/topics/{topic.pk}/").content.decode()


def test_entry_trend_counts_new_and_closed_by_industry(evaluation_demo, principal_of_user):
    from regshare.evaluation.analysis import entry_trend

    today = dt.date(2026, 12, 2)  # the fixture's day
    before = entry_trend({"months": 3}, today)  # whatever other tests' entities there are
    make_entity(1, "F5211", dt.date(2026, 11, 3))
    make_entity(2, "F5212", dt.date(2026, 11, 20))
    make_entity(3, "C1310", dt.date(2026, 10, 9))
    make_entity(4, "H6210", dt.date(2024, 1, 1), status="注销")  # closed now, established long ago
    analyst = principal_of_user("fgj_analyst")
    topic = services.create_topic(analyst, "行业准入趋势", "entry_trend", "按月统计新设与注销", params={"months": 3})
    workflow.perform(analyst, topic, "analyse")
    topic.refresh_from_db()
    results = topic.results
    assert results["months"] == ["2026-10", "2026-11", "2026-12"]

    def added(kind, key, what):
        old = before[kind].get(key, {what: [0, 0, 0]})[what] if kind != "total" else before["total"][what]
        new = results[kind][key][what] if kind != "total" else results["total"][what]
        return [b - a for a, b in zip(old, new, strict=True)]

    assert added("by_industry", "F 批发和零售业", "new") == [0, 2, 0]
    assert added("by_industry", "C 制造业", "new") == [1, 0, 0]
    assert added("by_industry", "H 住宿和餐饮业", "closed") == [0, 0, 1]
    assert added("total", None, "new") == [1, 2, 0] and added("total", None, "closed") == [0, 0, 1]
    assert added("by_area", "360404", "new") == [1, 2, 0]


def test_grants_must_belong_to_the_group(evaluation_demo, principal_of_user):
    from regshare.catalog.models import Resource
    from regshare.exchange.models import Grant

    analyst = principal_of_user("fgj_analyst")
    resource = Resource.objects.first()
    other = Grant.objects.create(resource=resource, consumer=dep("SWJ"), fields=[], purpose="税务",
                                 starts_on=dt.date(2026, 1, 1), expires_on=dt.date(2027, 1, 1))
    with pytest.raises(ValidationError, match="不属于专题组成员部门"):
        services.create_topic(analyst, "专题", "approval", "方法", grants=[other])
    expired = Grant.objects.create(resource=resource, consumer=dep("FGJ"), fields=[], purpose="评估",
                                   starts_on=dt.date(2025, 1, 1), expires_on=dt.date(2025, 12, 31))
    with pytest.raises(ValidationError, match="不在有效期内"):
        services.create_topic(analyst, "专题", "approval", "方法", grants=[expired])
    topic = services.create_topic(analyst, "专题", "approval", "方法", members=[dep("SWJ")], grants=[other])
    assert list(topic.grants.all()) == [other]


def test_custom_topic_needs_a_conclusion(evaluation_demo, principal_of_user):
    analyst = principal_of_user("fgj_analyst")
    topic = services.create_topic(analyst, "企业经营风险", "custom", "风险评分分布")
    with pytest.raises(ValidationError, match="分析结论"):
        workflow.perform(analyst, topic, "analyse")
    workflow.perform(analyst, topic, "analyse", conclusion="高风险企业集中在批发零售业")
    assert AnalysisTopic.objects.get(pk=topic.pk).status == TopicStatus.ANALYSED


def test_demo_shows_topics_and_a_published_report(evaluation_demo):
    titles = dict(AnalysisTopic.objects.values_list("title", "status"))
    assert titles["审批效率协同分析"] == TopicStatus.REPORTED and titles["行业准入趋势分析"] == TopicStatus.ANALYSED
    assert titles["企业经营风险分析"] == TopicStatus.ANALYSED
    assert AnalysisTopic.objects.get(title="审批效率协同分析").feedback.count() == 1
    published = list(services.published_reports())
    assert len(published) == 1 and published[0].has_pdf and published[0].has_docx
    assert sorted(published[0].comments.values_list("kind", flat=True)) == ["department", "public"]


def test_business_risk_reads_the_risk_scores(evaluation_demo, principal_of_user, client_as):
    from regshare.evaluation.analysis import business_risk
    from regshare.risk.models import RiskScore

    today = dt.date(2026, 12, 2)
    before = business_risk({}, today)
    for n, (level, score) in enumerate([("D", 91.0), ("B", 30.0)], 40):
        RiskScore.objects.create(entity=make_entity(n, "F5211", dt.date(2020, 1, 1)), score=score, probability=0.5,
                                 level=level, computed_on=today)
    analyst = principal_of_user("fgj_analyst")
    topic = services.create_topic(analyst, "风险专题", "business_risk", "按行业统计风险等级")
    workflow.perform(analyst, topic, "analyse")
    topic.refresh_from_db()
    retail_before = before["by_industry"].get("F 批发和零售业", {"levels": {"B": 0, "D": 0}, "count": 0})
    retail = topic.results["by_industry"]["F 批发和零售业"]
    assert retail["levels"]["D"] - retail_before["levels"].get("D", 0) == 1
    assert retail["levels"]["B"] - retail_before["levels"].get("B", 0) == 1
    assert retail["count"] - retail_before["count"] == 2
    page = client_as("fgj_analyst").get(f"/evaluation/topics/{topic.pk}/").content.decode()
    assert "企业经营风险(按行业门类)" in page and "F 批发和零售业" in page


def test_topics_api_lists_filters_and_shows_a_topic_with_its_feedback(evaluation_demo, client, client_as):
    assert client.get("/api/v1/evaluation/topics").status_code == 401
    api = client_as("sjj_analyst")
    listed = api.get("/api/v1/evaluation/topics").json()
    by_title = {t["title"]: t for t in listed["items"]}
    assert listed["count"] == 3 and by_title["审批效率协同分析"]["status_label"] == "已报送区政府"
    assert api.get("/api/v1/evaluation/topics", {"kind": "approval"}).json()["count"] == 1
    assert api.get("/api/v1/evaluation/topics", {"status": "no-such-state"}).json()["count"] == 0
    detail = api.get(f"/api/v1/evaluation/topics/{by_title['审批效率协同分析']['id']}").json()
    assert detail["results"] and len(detail["feedback"]) == 1 and detail["members"]
    assert api.get("/api/v1/evaluation/topics/2147483647").status_code == 404


def test_topics_api_takes_the_steps_of_the_page(evaluation_demo, client_as):
    page = client_as("fgj_analyst")
    page.post("/evaluation/topics/new/", {"title": "接口分析专题", "kind": "custom", "method": "人工比对",
                                          "members": [dep("XZSP").pk], "months": 12})
    topic = AnalysisTopic.objects.get(title="接口分析专题")
    url = f"/api/v1/evaluation/topics/{topic.pk}"
    outsider = client_as("swj_liaison").post(f"{url}/analyse", {"conclusion": "x"}, content_type="application/json")
    assert outsider.status_code in (403, 404) and AnalysisTopic.objects.get(pk=topic.pk).status == TopicStatus.PLANNED
    api = client_as("fgj_analyst")
    empty = api.post(f"{url}/analyse", {}, content_type="application/json")
    assert empty.status_code == 400 and "分析结论" in empty.json()["message"]
    analysed = api.post(f"{url}/analyse", {"conclusion": "窗口排队时间下降"}, content_type="application/json").json()
    assert analysed["status"] == TopicStatus.ANALYSED and [a["name"] for a in analysed["actions"]] == ["analyse", "report"]
    assert api.post(f"{url}/close", {}, content_type="application/json").status_code == 400  # not reported yet
    reported = api.post(f"{url}/report", {"report": "建议推广预约办理"}, content_type="application/json").json()
    assert reported["status"] == TopicStatus.REPORTED and reported["report"] == "建议推广预约办理"
    assert api.post(f"{url}/close", {}, content_type="application/json").json()["status"] == TopicStatus.CLOSED
