import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from regshare.core.models import AuditRecord, Department, User
from regshare.core.permissions import Principal
from regshare.core.workdays import add_workdays
from regshare.credit import services
from regshare.credit.models import CreditRecord, PublicityStatus, RepairApplication
from regshare.entities.models import Entity

DECIDED = dt.date(2026, 3, 2)


def scjg_liaison() -> Principal:
    """The penalties below are SCJG's: its liaison publishes them and enters repair applications."""
    return Principal.for_user(User.objects.get(username="scjg_liaison"))


def make(kind="penalty", severity="general", doc="柴市监罚〔2026〕T001号", decided=DECIDED):
    entity = Entity.objects.first()
    return services.create_record("test", {
        "kind": kind, "doc_no": doc, "raw_uscc": entity.uscc, "raw_name": entity.name,
        "department": Department.objects.get(code__endswith="SCJG"), "title": "虚假宣传", "decided_on": decided,
        "severity": severity})


@pytest.mark.parametrize("kind, severity, until, repair_from", [
    ("licence", "", None, None),
    ("penalty", "general", dt.date(2027, 3, 2), dt.date(2026, 6, 2)),
    ("penalty", "serious", dt.date(2029, 3, 2), dt.date(2027, 3, 2)),
])
def test_publicity_plan_follows_severity(district, kind, severity, until, repair_from):
    record = make(kind, severity)
    assert record.entity is not None and record.publicity == PublicityStatus.PENDING
    assert record.publish_due == add_workdays(DECIDED, 7)
    assert record.publicity_until == until and record.repair_from == repair_from


def test_simple_procedure_penalties_are_not_published(district):
    record = make(severity="simple")
    assert record.publicity == PublicityStatus.NOT_REQUIRED and record.publish_due is None


def test_late_publication_is_flagged(district):
    record = make()
    assert not services.is_late(record, record.publish_due)
    assert services.is_late(record, record.publish_due + dt.timedelta(days=1))
    services.publish(scjg_liaison(), record, record.publish_due + dt.timedelta(days=3))
    assert services.is_late(record) and record in services.late_publications(DECIDED)
    on_time = make(doc="柴市监罚〔2026〕T002号")
    services.publish(scjg_liaison(), on_time, on_time.publish_due)
    assert not services.is_late(on_time)
    assert AuditRecord.objects.filter(action="credit.published", target=f"credit.creditrecord:{record.pk}").exists()


def test_publicity_ends_when_the_period_runs_out(district):
    record = make()
    services.publish(scjg_liaison(), record, record.publish_due)
    services.expire_publicity(dt.date(2027, 3, 2))
    record.refresh_from_db()
    assert record.publicity == PublicityStatus.PUBLISHED
    services.expire_publicity(dt.date(2027, 3, 3))
    record.refresh_from_db()
    assert record.publicity == PublicityStatus.EXPIRED


def test_repair_cannot_be_asked_before_the_minimum_period(district):
    record = make()
    services.publish(scjg_liaison(), record, record.publish_due)
    with pytest.raises(ValidationError) as exc:
        services.apply_repair(scjg_liaison(), record, "张三", "已缴纳罚款并整改", True, dt.date(2026, 6, 1))
    assert exc.value.code == "repair_too_early" and "2026年06月02日" in exc.value.messages[0]
    assert not RepairApplication.objects.filter(record=record).exists()


def test_repair_approved_ends_publicity_and_is_audited(district, principal_of_user):
    record = make()
    services.publish(scjg_liaison(), record, record.publish_due)
    application = services.apply_repair(scjg_liaison(), record, "张三", "已缴纳罚款并整改", True, dt.date(2026, 6, 2))
    assert application.due_on == add_workdays(dt.date(2026, 6, 2), 5)
    with pytest.raises(ValidationError):
        services.decide_repair(principal_of_user("scjg_reviewer"), application, False, "")
    services.decide_repair(principal_of_user("scjg_reviewer"), application, True, "材料齐全", dt.date(2026, 6, 5))
    record.refresh_from_db()
    assert record.publicity == PublicityStatus.REPAIRED and record.publicity_until == dt.date(2026, 6, 5)
    assert record not in services.public_records(record.entity, dt.date(2026, 6, 6))
    assert AuditRecord.objects.filter(action="credit.repair_approved").exists()


def test_repair_api_flow(district, client_as):
    record = make()
    services.publish(scjg_liaison(), record, record.publish_due)
    record.repair_from = dt.date(2026, 1, 1)
    record.save()
    liaison = client_as("scjg_liaison")
    bad = liaison.post("/api/v1/credit/repairs", {"record_id": record.pk, "applicant": "张三", "reason": "已整改"},
                       content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "commitment_required"
    ok = liaison.post("/api/v1/credit/repairs", {"record_id": record.pk, "applicant": "张三", "reason": "已整改",
                                                 "commitment": True}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "submitted"
    reviewer = client_as("scjg_reviewer")
    decided = reviewer.post(f"/api/v1/credit/repairs/{ok.json()['id']}/decide", {"approve": True},
                            content_type="application/json")
    assert decided.json()["status"] == "approved"
    assert CreditRecord.objects.get(pk=record.pk).publicity == PublicityStatus.REPAIRED


def test_publicity_page_lists_late_items(district, client_as):
    page = client_as("scjg_liaison").get("/credit/publicity/", {"status": "late"}).content.decode()
    assert "逾期" in page
