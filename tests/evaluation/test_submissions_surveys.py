"""Department submissions with review, survey import from Excel, AHP weightings and evaluations through the
services, the API and the pages."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from regshare.core.models import AuditRecord
from regshare.evaluation import services
from regshare.evaluation.models import Indicator, IndicatorValue, Submission, SubmissionStatus, Survey


@pytest.fixture
def indicators(demo):
    from regshare.core.models import Department

    services.install_standard("test", {d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(code__contains="-")})
    return {i.code: i for i in Indicator.objects.all()}


def test_submission_is_reviewed_and_adopted(indicators, principal_of_user):
    liaison = principal_of_user("fgj_liaison")
    item = services.create_submission(liaison, indicators["QD-01"], "2026H1", 96.5, "按负面清单事项逐项核对")
    assert item.status == SubmissionStatus.SUBMITTED and item.deadline is not None
    with pytest.raises(ValidationError, match="已报送"):
        services.create_submission(liaison, indicators["QD-01"], "2026H1", 97, "重复")
    with pytest.raises(PermissionDenied):
        services.review(principal_of_user("fgj_liaison"), item, True)  # a liaison does not review
    services.review(principal_of_user("fgj_analyst"), item, True, "采用")
    value = IndicatorValue.objects.get(indicator__code="QD-01", period="2026H1")
    assert value.value == 96.5 and value.department is None and value.origin == "submission"
    assert AuditRecord.objects.filter(action="evaluation.submission.approve").exists()


def test_returned_submission_is_corrected_and_resubmitted(indicators, principal_of_user):
    liaison = principal_of_user("xzsp_liaison")
    item = services.create_submission(liaison, indicators["FW-01"], "2026H1", 99.0, "窗口统计")
    with pytest.raises(ValidationError, match="审核意见"):
        services.review(principal_of_user("fgj_analyst"), item, False, "")
    services.review(principal_of_user("fgj_analyst"), item, False, "请附咨询台账")
    item.refresh_from_db()
    assert item.status == SubmissionStatus.RETURNED
    with pytest.raises(PermissionDenied):
        services.submit(principal_of_user("scjg_liaison"), item, 95.0)
    services.submit(liaison, item, 95.0, "窗口统计,附咨询台账")
    item.refresh_from_db()
    assert (item.status, item.value) == (SubmissionStatus.SUBMITTED, 95.0)


@pytest.mark.parametrize("code, value, words", [("SP-01", 3, "不由部门报送"), ("QD-01", 120, "不能超过 100"),
                                                ("QD-01", -1, "负数")])
def test_bad_submissions_refused(indicators, principal_of_user, code, value, words):
    with pytest.raises(ValidationError, match=words):
        services.create_submission(principal_of_user("fgj_liaison"), indicators[code], "2026H1", value, "说明")
    assert not Submission.objects.exists()


def test_bad_period_refused(indicators, principal_of_user):
    with pytest.raises(ValidationError, match="统计期"):
        services.create_submission(principal_of_user("fgj_liaison"), indicators["QD-01"], "2026H3", 90, "说明")


def _workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["满意度问卷"])
    sheet.append(["指标代码", "行业", "非常满意", "满意", "基本满意", "不满意"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_survey_import_from_excel(indicators, principal_of_user):
    content = _workbook([["MY-01", "制造业", 50, 30, 15, 5], ["MY-01", "建筑业", 20, 20, 8, 2]])
    survey = services.import_survey(principal_of_user("fgj_analyst"), "上半年问卷", "2026H1", content, "q.xlsx")
    assert survey.results.count() == 2
    overall = IndicatorValue.objects.get(indicator__code="MY-01", period="2026H1", industry="")
    assert overall.value == pytest.approx((70 + 50) / 150 * 100, abs=0.01)
    assert IndicatorValue.objects.get(indicator__code="MY-01", industry="建筑业").value == 80.0
    assert services.survey_counts(indicators["MY-01"], "2026H1") == [70, 50, 23, 7]


def test_survey_with_bad_rows_changes_nothing(indicators, principal_of_user):
    content = _workbook([["MY-01", "制造业", 50, "三十", 15, 5], ["SP-01", "", 1, 1, 1, 1]])
    with pytest.raises(ValidationError) as info:
        services.import_survey(principal_of_user("fgj_analyst"), "坏问卷", "2026H1", content)
    assert "第 3 行" in info.value.messages[0] and "第 4 行" in info.value.messages[0]
    assert not Survey.objects.exists()
    with pytest.raises(ValidationError, match="无法读取"):
        services.import_survey(principal_of_user("fgj_analyst"), "坏文件", "2026H1", b"not excel")


def test_weighting_refused_when_inconsistent_and_evaluation_runs(indicators, principal_of_user):
    analyst = principal_of_user("fgj_analyst")
    groups = ["list_execution", "approval", "service", "supervision", "satisfaction"]
    bad = [[1, 9, 9, "1/9", 1], ["1/9", 1, 1, 9, 1], ["1/9", 1, 1, 1, 9], [9, "1/9", 1, 1, 1], [1, 1, "1/9", 1, 1]]
    with pytest.raises(services.AhpRefused) as info:
        services.create_weighting(analyst, "不一致", "group", groups, bad)
    assert info.value.extra["cr"] >= 0.1 and len(info.value.extra["worst"]) == 2
    good = services.create_weighting(analyst, "专家组", "group", groups, [[1] * 5] * 5, "cn")
    assert good.weights == pytest.approx([0.2] * 5) and good.ri_table == "cn"
    with pytest.raises(ValidationError, match="缺少"):
        services.run_evaluation(analyst, "2026H1")
    for code, value in {"QD-01": 97, "QD-02": 99, "QD-03": 1, "SP-01": 3, "SP-02": 96.5, "SP-03": 50, "SP-04": 85,
                        "FW-01": 96, "FW-02": 0.8, "FW-03": 92, "JG-01": 6, "JG-02": 88, "JG-03": 45,
                        "MY-01": 88}.items():
        IndicatorValue.objects.create(indicator=indicators[code], period="2026H1", value=value, origin="submission")
    result = services.run_evaluation(analyst, "2026H1", operator="M(·,+)")
    assert result.grade in ("优", "良") and 80 < result.score < 95
    assert len(result.detail["groups"]) == 5 and result.detail["ri_table"] == "cn"


def test_api(indicators, client_as):
    client = client_as("fgj_analyst")
    listing = client.get("/api/v1/evaluation/indicators").json()
    assert listing["count"] == 14 and {"code", "formula", "unit", "direction", "department"} <= set(listing["items"][0])
    response = client.post("/api/v1/evaluation/ahp", {"matrix": [[1, 3, 5], ["1/3", 1, 3], [0.2, "1/3", 1]]},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["ri_table"] == "saaty"
    response = client.post("/api/v1/evaluation/ahp", {"matrix": [[1, 5, "1/5"], ["1/5", 1, 3], [5, "1/3", 1]]},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "ahp_inconsistent" and "suggested" in response.json()
    response = client.post("/api/v1/evaluation/fuzzy", {"weights": [0.5, 0.5], "membership": [[1, 0, 0, 0],
                                                                                           [0, 1, 0, 0]]},
                           content_type="application/json")
    assert response.json() == {"result": [0.5, 0.5, 0, 0], "grade": "优", "score": 90.0}
    response = client.post("/api/v1/evaluation/compute", {"period": "bad"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "bad_period"
    liaison = client_as("fgj_liaison")
    response = liaison.post("/api/v1/evaluation/submissions", {"indicator": "QD-01", "period": "2026H1", "value": 90,
                                                              "basis": "核对"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert liaison.post("/api/v1/evaluation/compute", {"period": "2026H1"},
                        content_type="application/json").status_code == 403
    assert liaison.get("/api/v1/evaluation/submissions?page=2").status_code in (200, 404)


def test_pages_render_in_chinese(indicators, client_as, principal_of_user):
    services.create_submission(principal_of_user("fgj_liaison"), indicators["QD-01"], "2026H1", 96.5, "核对")
    client = client_as("fgj_analyst")
    for url in ("/evaluation/", "/evaluation/compare/", "/evaluation/compare/?dimension=industry&period=2026H1",
                "/evaluation/submissions/", "/evaluation/surveys/", "/evaluation/weightings/",
                "/evaluation/evaluations/", "/evaluation/indicators/SP-01/",
                f"/evaluation/submissions/{Submission.objects.get().pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "评估" in response.content.decode() or "报送" in response.content.decode()
    page = client.get(f"/evaluation/submissions/{Submission.objects.get().pk}/").content.decode()
    assert "采用" in page and "退回修改" in page
    response = client.post("/evaluation/weightings/", {"name": "x", "level": "group", "criteria": "approval,service",
                                                      "matrices": json.dumps([[1, 3], ["1/3", 1]]),
                                                      "ri_table": "saaty"})
    assert response.status_code == 302
    assert client.get("/evaluation/compare/?dimension=%00").status_code < 500
    assert "对比维度" in client.get("/evaluation/compare/?dimension=x").content.decode()


def test_api_lists_with_filters(indicators, client_as):
    client = client_as("auditor")
    for url in ("/api/v1/evaluation/values?period=2026H1&indicator=SP-01", "/api/v1/evaluation/evaluations?period=2026H1",
                "/api/v1/evaluation/compare?dimension=period", "/api/v1/evaluation/weightings",
                "/api/v1/evaluation/rectifications", "/api/v1/evaluation/meetings", "/api/v1/evaluation/submissions"):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/evaluation/compare?dimension=x").status_code == 400
