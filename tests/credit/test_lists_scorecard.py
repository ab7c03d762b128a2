import datetime as dt

import pytest

from regshare.core.models import AuditRecord, Department
from regshare.credit import scorecard, services
from regshare.credit.models import ListCause, ListEntry, ListType, RiskAssessment
from regshare.demo.entities import entity_rows, planted_risk
from regshare.entities.models import Entity


def test_three_years_on_the_abnormal_list_moves_to_the_serious_list(district, principal_of_user):
    entity = Entity.objects.order_by("-id").first()
    dep = Department.objects.get(code__endswith="SCJG")
    entry = services.add_to_list(principal_of_user("scjg_liaison"), entity, ListType.ABNORMAL, ListCause.UNREACHABLE, "T-ABN-1", dep,
                                 dt.date(2025, 5, 10))
    services.apply_list_rules(dt.date(2028, 5, 9))
    entry.refresh_from_db()
    assert entry.removed_on is None
    assert services.apply_list_rules(dt.date(2028, 5, 10))["promoted"] >= 1
    entry.refresh_from_db()
    serious = ListEntry.objects.get(origin=entry)
    assert entry.removed_on == dt.date(2028, 5, 10) and "转入严重违法失信名单" in entry.removal_reason
    assert serious.list_type == ListType.SERIOUS and serious.cause == ListCause.ABNORMAL_3Y
    assert "通过登记的住所或经营场所无法联系" in serious.cause_text
    services.apply_list_rules(dt.date(2031, 5, 10))
    serious.refresh_from_db()
    assert serious.removed_on == dt.date(2031, 5, 10)
    assert AuditRecord.objects.filter(action="credit.listed", target=f"credit.listentry:{serious.pk}").exists()


def test_planted_risk_is_recovered_by_the_classes(district):
    rows, risk = entity_rows(1, district), planted_risk(1, district)
    classes = dict(RiskAssessment.objects.values_list("entity__uscc", "risk_class"))
    high = [classes[r["uscc"]] for r, level in zip(rows, risk, strict=True) if level == "high"]
    clean = [classes[r["uscc"]] for r, level in zip(rows, risk, strict=True) if level == "clean"]
    assert sum(c in "CD" for c in high) / len(high) >= 0.8
    assert sum(c in "AB" for c in clean) / len(clean) >= 0.85


def test_every_entity_has_reasons_and_listed_ones_are_d(district):
    risks = RiskAssessment.objects.select_related("entity")
    assert risks.count() == Entity.objects.count()
    assert all(r.reasons for r in risks)
    debtor = ListEntry.objects.filter(list_type=ListType.DISHONEST_DEBTOR, removed_on__isnull=True).first()
    risk = RiskAssessment.objects.get(entity=debtor.entity)
    assert risk.risk_class == "D" and risk.reasons[0] == "列入失信被执行人名单"


def test_thresholds_are_settings(district, settings):
    settings.REGSHARE_CREDIT_THRESHOLDS = {"A": 0.0, "B": 0.0, "C": 0.0}
    counts = scorecard.recompute(dt.date(2026, 11, 1))
    assert counts["D"] == Entity.objects.count()


@pytest.mark.parametrize("bad", ["", "x"])
def test_unknown_list_type_refused(district, bad, principal_of_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.add_to_list(principal_of_user("scjg_liaison"), Entity.objects.first(), bad, ListCause.COURT, "T-X",
                             Department.objects.get(code__endswith="SCJG"), dt.date(2026, 1, 1))
    assert not ListEntry.objects.filter(decision_no="T-X").exists()


def test_lists_api_and_page(district, client_as):
    client = client_as("scjg_inspector")
    data = client.get("/api/v1/credit/lists", {"list_type": "abnormal", "active": True}).json()
    assert data["count"] > 0 and all(i["list_type"] == "abnormal" and i["removed_on"] is None for i in data["items"])
    assert client.get("/api/v1/credit/lists", {"list_type": "nope"}).status_code == 400
    assert "经营异常名录" in client.get("/credit/lists/").content.decode()
    assert "失信被执行人" in client.get("/credit/memoranda/").content.decode()


def test_no_annual_report_by_june_30_puts_an_entity_on_the_abnormal_list(district, settings, tmp_path):
    import pyarrow as pa

    from regshare.lake import tables

    settings.REGSHARE_LAKE_DIR = tmp_path
    assert services.apply_annual_report_rule(dt.date(2026, 7, 2)) == 0  # no report data: nothing happens
    already = ListEntry.objects.filter(cause=ListCause.ANNUAL_REPORT, removed_on__isnull=True).values("entity_id")
    due = list(Entity.objects.filter(status__in=["存续", "在业"], established__lte=dt.date(2025, 12, 31))
               .exclude(pk__in=already).order_by("id"))
    late, missing, on_time = due[0], due[1], due[2:]
    rows = [(e.uscc, 2025, "2026-05-20") for e in on_time] + [(late.uscc, 2025, "2026-07-01")]
    tables.write("SCJG-0008", pa.table({"uscc": [r[0] for r in rows], "company_name": ["x"] * len(rows),
                                        "year": [r[1] for r in rows], "reported_on": [r[2] for r in rows]}),
                 mode="replace", key=["uscc", "year"])
    assert services.apply_annual_report_rule(dt.date(2026, 6, 30)) == 0  # before July: the 2024 reports, none here
    listed = services.apply_annual_report_rule(dt.date(2026, 7, 2))
    entries = ListEntry.objects.filter(decision_no__startswith="年报-2025-")
    assert listed == 2 and {e.entity_id for e in entries} == {late.pk, missing.pk}
    assert all("2026年06月30日" in e.cause_text for e in entries)
    assert services.apply_annual_report_rule(dt.date(2026, 7, 3)) == 0  # not listed twice
