"""The evaluation demo end to end: indicators installed, figures computed from the published approval data,
submissions reviewed, the survey imported, AHP weights and a fuzzy evaluation per half-year."""

import pytest

from regshare.evaluation import services
from regshare.evaluation.models import (
    Evaluation,
    Indicator,
    IndicatorValue,
    Meeting,
    Submission,
    SubmissionStatus,
)


def test_demo_builds_a_complete_evaluation(evaluation_demo):
    assert Indicator.objects.count() == 14
    assert set(Indicator.objects.values_list("group", flat=True)) == {
        "list_execution", "approval", "service", "supervision", "satisfaction"}
    overall = {v.indicator.code: v for v in IndicatorValue.objects.filter(period="2026H1", department__isnull=True,
                                                                          industry="")}
    assert {"SP-01", "SP-02", "SP-03", "SP-04", "FW-02", "FW-03", "QD-01", "MY-01"} <= set(overall)
    assert 0 < overall["SP-01"].value < 15 and 50 < overall["SP-02"].value <= 100
    evaluations = {e.period: e for e in Evaluation.objects.all()}
    assert set(evaluations) == {"2025H2", "2026H1"}
    assert evaluations["2026H1"].grade in ("优", "良", "中", "差")
    # The current half's 一次性告知率 waits for 区发改's review.
    assert Submission.objects.filter(period="2026H2", status=SubmissionStatus.SUBMITTED).count() == 1
    # The half-yearly meeting's decisions are tracked; the one past its deadline is escalated (督办).
    meeting = Meeting.objects.get()
    assert meeting.tasks.count() == 2 and meeting.tasks.filter(escalated_at__isnull=False).count() >= 1


def test_average_approval_time_is_the_mean_of_working_days(evaluation_demo):
    from regshare.core import workdays
    from regshare.evaluation.indicators import _cases, _day
    window = services.period_window("2026H1")
    done = [r for r in _cases(window) if r["_finished"] is not None]
    expected = sum(workdays.workdays_between(_day(r["accepted_at"]), _day(r["finished_at"])) for r in done) / len(done)
    value = IndicatorValue.objects.get(indicator__code="SP-01", period="2026H1", department__isnull=True, industry="")
    assert value.value == pytest.approx(expected, abs=0.01)
    assert value.facts["已办结办件数"] == len(done)


def test_breakdowns_by_department_and_industry(evaluation_demo):
    by_department = services.compare("department", "2026H1")
    assert "区住建局" in by_department["columns"] and by_department["rows"]
    by_industry = services.compare("industry", "2026H1")
    assert "批发和零售业" in by_industry["columns"]
    trend = services.compare("period")
    assert trend["columns"][:3] == ["2025H2", "2026H1", "2026H2"]
    assert trend["chart"]["kind"] == "line" and trend["labels"][0] == "2025年下半年"


def test_demo_is_idempotent(evaluation_demo):
    from regshare.demo import DemoContext
    from regshare.demo import evaluation as step

    counts = (Submission.objects.count(), Evaluation.objects.count(), IndicatorValue.objects.count())
    step.run(DemoContext(seed=1, entities=0, echo=lambda _m: None))
    assert (Submission.objects.count(), Evaluation.objects.count(), IndicatorValue.objects.count()) == counts
