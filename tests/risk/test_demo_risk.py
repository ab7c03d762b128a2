"""The demo's planted structure is found by its own scores, links and alerts."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_planted_structure_is_found(risk_demo):
    from regshare.credit.models import RiskAssessment
    from regshare.risk import graph, services
    from regshare.risk.models import Alert, AlertSource, ModelVersion, RiskScore

    version = ModelVersion.objects.get(active=True)
    assert version.auc is not None and version.auc > 0.6
    shells, person = risk_demo["shells"], risk_demo["person"]
    scores = {s.entity.uscc: s for s in RiskScore.objects.filter(entity__uscc__in=shells + person).select_related("entity")}
    assert all(scores[u].indicators["address_cluster"] == 12 for u in shells)
    # the shell cluster meets the concentrated-registration rule and is alerted to the market regulator
    shell_alerts = Alert.objects.filter(entity__uscc__in=shells, source=AlertSource.RULE, rule__code="R005")
    assert shell_alerts.count() == 12
    assert set(shell_alerts.values_list("department__code", flat=True)) == {"360404-SCJG"} or \
        all(code.endswith("-SCJG") for code in shell_alerts.values_list("department__code", flat=True))
    # the fourth company of the person behind three listed ones: linked through the person, alerted
    fourth = person[3]
    paths = graph.paths(fourth, 1)
    assert {p[-1]["uscc"] for p in paths} == set(person[:3])
    assert all(p[1]["via"] == "同一法定代表人" and "钱多福" in p[1]["person"] for p in paths)
    link_alert = Alert.objects.get(entity__uscc=fourth, source=AlertSource.LINK)
    assert "钱多福" in link_alert.reasons[0]["text"]
    assert scores[fourth].indicators["listed_links"] == 3
    # routed by industry: construction (E4710) goes to housing and construction
    assert link_alert.department.code.endswith("-ZJJ")
    # alerts stay few enough to be handled: about the planted high-risk tenth and structure, not the register
    alerted = Alert.objects.values("entity").distinct().count()
    assert 28 <= alerted < 0.2 * RiskScore.objects.count(), alerted
    # the top of the ranking is made of entities that meet risk evidence, with Chinese reasons
    top = services.top(20)
    assert [r["score"] for r in top] == sorted((r["score"] for r in top), reverse=True)
    assert all(r["reasons"] and all(x["contribution"] > 0 for x in r["reasons"]) for r in top)
    # the credit class random inspections draw on is fed: never better than the risk level
    for uscc, s in scores.items():
        assessment = RiskAssessment.objects.get(entity__uscc=uscc)
        assert "ABCD".index(assessment.risk_class) >= "ABCD".index(s.level)
        assert any(str(r).startswith("风险预警模型") for r in assessment.reasons)


def test_the_demo_step_and_scoring_again_change_nothing(risk_demo):
    import datetime as dt

    from regshare.demo import DemoContext
    from regshare.demo import risk as demo_risk
    from regshare.demo.entities import TODAY
    from regshare.risk import services
    from regshare.risk.models import Alert, ModelVersion

    before = (Alert.objects.count(), ModelVersion.objects.count(), Alert.objects.filter(confirmed__isnull=False).count())
    demo_risk.run(DemoContext(seed=1, entities=400, echo=lambda _m: None))
    # handled alerts are not raised again the next day either (quiet period)
    result = services.score("test", TODAY + dt.timedelta(days=1))
    assert result["alerts"] == 0
    assert (Alert.objects.count(), ModelVersion.objects.count(),
            Alert.objects.filter(confirmed__isnull=False).count()) == before
    assert before[2] == 2  # the demo closed one alert as confirmed and dismissed one
