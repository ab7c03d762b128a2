"""Department assessment: every point from measured facts, with drill-down to the records and an Excel export."""

import datetime as dt
import io
import zoneinfo

import pytest
from openpyxl import load_workbook

from regshare.catalog.models import UpdateObligation
from regshare.core.models import Department, User
from regshare.evaluation import assessment, services
from regshare.evaluation.models import Rectification
from regshare.incidents.models import Incident

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 16)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), TZ)


@pytest.fixture
def sthj(demo, time_machine):
    time_machine.move_to(at(TODAY), tick=False)
    department = Department.objects.get(code="360404-STHJ")
    for n, (due, done) in enumerate([(dt.date(2026, 3, 20), dt.date(2026, 3, 18)),
                                     (dt.date(2026, 6, 10), dt.date(2026, 6, 30)),
                                     (dt.date(2026, 9, 1), None)]):
        UpdateObligation.objects.create(department=department, reason="duty", description=f"职能调整{n}",
                                        changed_on=due - dt.timedelta(days=20), due_date=due,
                                        fulfilled_at=at(done) if done else None)
    # due after today: not counted yet
    UpdateObligation.objects.create(department=department, reason="law", description="新法", changed_on=TODAY,
                                    due_date=dt.date(2026, 12, 4))
    Incident.objects.create(number="AQ-TEST-1", title="接口密钥泄露", grade="large", description="x",
                            discovered_at=at(dt.date(2026, 5, 3)), discoverer="巡检", department=department,
                            registered_by=User.objects.get(username="admin"), report_hours=4,
                            report_deadline=at(dt.date(2026, 5, 3)))
    Rectification.objects.create(number="ZG-TEST-1", problem="办件数据迟报", requirement="按月报送",
                                 department=department, deadline=dt.date(2026, 8, 31))
    return department


def by_code(score):
    return {c.code: c for c in score.criteria}


def test_points_follow_the_facts(sthj):
    score = by_code(assessment.score_department(sthj, 2026, TODAY))
    current = score["current"]
    assert current.rate == pytest.approx(1 / 3) and current.score == pytest.approx(5.0)
    assert [row[-1] for row in current.rows] == ["是", "否", "否"] and current.rows[2][2] == "未完成"
    assert score["incidents"].score == 7 and score["incidents"].rows[0][0] == "AQ-TEST-1"
    assert score["rectification"].score == 0 and score["rectification"].rows[0][3] == "未销号"
    # nothing asked of the department in the year: full points, and the page says why
    assert score["corrections"].score == 10 and "没有" in score["corrections"].basis
    assert sum(c.maximum for c in score.values()) == 100


def test_last_year_counts_only_last_years_facts(sthj):
    score = by_code(assessment.score_department(sthj, 2025, TODAY))
    assert score["current"].score == 15 and score["incidents"].score == 10 and score["rectification"].score == 5


def test_annual_table_page_drill_down_and_export(sthj, client_as, principal_of_user):
    client = client_as("fgj_analyst")
    page = client.get("/evaluation/assessment/?year=2026").content.decode()
    assert "2026 年度部门数据共享考核" in page and "区生态环境局" in page
    assert 'href="/evaluation/assessment/360404-STHJ/?year=2026"' in page
    detail = client.get("/evaluation/assessment/360404-STHJ/?year=2026").content.decode()
    assert "接口密钥泄露" in detail and "1 / 3 = 33.3%" in detail and "ZG-TEST-1" in detail
    bad = client.get("/evaluation/assessment/?year=20x6", follow=True).content.decode()
    assert "考核年度应为四位年份" in bad
    response = client.get("/evaluation/assessment/?year=2026&format=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["2026年度考核"].iter_rows(values_only=True))
    assert rows[0][0] == "名次" and rows[0][-1] == "总分"
    sthj_row = next(r for r in rows if r[1] == "区生态环境局")
    _year, table = services.assessment_table(principal_of_user("fgj_analyst"), 2026)
    expected = next(s for s in table if s.department == sthj)
    assert sthj_row[-1] == expected.total
    facts = list(book["得分依据"].iter_rows(values_only=True))
    assert any(r[0] == "区生态环境局" and r[1] == "安全事件" and r[3] == 7 for r in facts)
    assert client.get("/evaluation/assessment/NOPE/").status_code == 404


def test_future_year_refused(sthj, principal_of_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="考核年度"):
        services.assessment_table(principal_of_user("fgj_analyst"), 2027)


def test_assessment_api(sthj, client, client_as):
    assert client.get("/api/v1/evaluation/assessment").status_code == 401
    rows = client_as("fgj_analyst").get("/api/v1/evaluation/assessment", {"year": "2026"}).json()
    row = next(r for r in rows if r["department"] == "360404-STHJ")
    scores = {c["code"]: c["score"] for c in row["criteria"]}
    assert scores["incidents"] == 7 and scores["current"] == 5 and row["total"] == round(sum(scores.values()), 1)
    bad = client_as("fgj_analyst").get("/api/v1/evaluation/assessment", {"year": "abc"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_year"
