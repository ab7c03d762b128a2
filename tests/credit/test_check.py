import json

import pytest

from regshare.cli import main
from regshare.core.codes import make_uscc
from regshare.core.models import AuditRecord
from regshare.credit.models import CreditCheck, ListType
from regshare.entities.models import Entity


def listed(list_type):
    return Entity.objects.filter(list_entries__list_type=list_type, list_entries__removed_on__isnull=True).first()


def clean():
    return Entity.objects.exclude(list_entries__removed_on__isnull=True, list_entries__isnull=False).filter(
        risk__risk_class="B").first()


def test_dishonest_debtor_is_restricted_in_procurement_with_basis_and_source(district, client_as):
    entity = listed(ListType.DISHONEST_DEBTOR)
    response = client_as("fgj_liaison").get("/api/v1/credit/check",
                                            {"uscc": entity.uscc, "scenario": "政府采购", "purpose": "采购项目CS-2026-01"})
    assert response.status_code == 200
    data = response.json()
    assert data["entity"]["name"] == entity.name and data["conclusion"] == "限制"
    measure = next(m for m in data["measures"] if "失信被执行人" in m["memorandum"])
    assert measure["measure"] == "限制参加政府采购活动" and "政府采购法" in measure["legal_basis"]
    assert measure["sources"][0]["list"] == "失信被执行人"
    check = CreditCheck.objects.get(pk=data["check_id"])
    assert check.scenario == "gov_procurement" and check.purpose == "采购项目CS-2026-01"
    assert check.department.code.endswith("FGJ")
    assert AuditRecord.objects.filter(action="credit.checked", target=f"credit.creditcheck:{check.pk}").exists()


def test_red_list_gets_the_green_channel(district, client_as):
    entity = listed(ListType.RED)
    data = client_as("xzsp_liaison").get("/api/v1/credit/check",
                                         {"uscc": entity.uscc, "scenario": "approval"}).json()
    assert data["conclusion"] in ("绿色通道", "限制")
    assert any(m["kind"] == "reward" and "绿色通道" in m["measure"] for m in data["measures"])


def test_a_clean_entity_has_no_measures(district, client_as):
    entity = clean()
    data = client_as("fgj_liaison").get("/api/v1/credit/check", {"uscc": entity.uscc, "scenario": "bidding"}).json()
    assert data["measures"] == [] and data["conclusion"] == "无限制"


@pytest.mark.parametrize("params, status, code, message", [
    ({"uscc": "91360404ABC", "scenario": "政府采购"}, 400, "invalid_uscc", "18位"),
    ({"uscc": make_uscc("91360404NNNNNNNNN"), "scenario": "政府采购"}, 404, "not_found", "法人库中没有"),
    ({"uscc": "VALID", "scenario": "打麻将"}, 400, "unknown_scenario", "未知的应用场景"),
])
def test_bad_input_is_refused_in_chinese_and_records_nothing(district, client_as, params, status, code, message):
    if params["uscc"] == "VALID":
        params = {**params, "uscc": Entity.objects.first().uscc}
    before = CreditCheck.objects.count()
    response = client_as("fgj_liaison").get("/api/v1/credit/check", params)
    assert response.status_code == status
    assert response.json()["code"] == code and message in response.json()["message"]
    assert CreditCheck.objects.count() == before


def test_cli_check_json_and_exit_codes(district, capsys):
    entity = listed(ListType.SERIOUS) or listed(ListType.DISHONEST_DEBTOR)
    assert main(["credit", "check", entity.uscc, "--scenario", "招标投标", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["entity"]["uscc"] == entity.uscc and data["conclusion"] == "限制"
    assert all(m["legal_basis"] and m["sources"] for m in data["measures"])
    assert main(["credit", "check", "123", "--scenario", "招标投标"]) == 2
    assert "18位" in capsys.readouterr().err
    assert main(["credit", "check", entity.uscc, "--scenario", "nope"]) == 2
    assert main(["credit", "check", make_uscc("91360404NNNNNNNNN"), "--scenario", "bidding"]) == 2


def test_statistics_count_checks_by_scenario_and_department(district, client_as):
    entity = listed(ListType.DISHONEST_DEBTOR)
    client = client_as("fgj_liaison")
    for scenario in ("政府采购", "政府采购", "财政补贴"):
        client.get("/api/v1/credit/check", {"uscc": entity.uscc, "scenario": scenario})
    stats = client_as("fgj_leader").get("/api/v1/credit/stats").json()
    assert stats["by_scenario"]["政府采购"] >= 2 and stats["by_scenario"]["财政补贴"] >= 1
    assert stats["restricted"] >= 3 and stats["total"] >= 3
    page = client_as("fgj_leader").get("/credit/stats/").content.decode()
    assert "政府采购" in page
    assert client_as("scjg_inspector").get("/api/v1/credit/stats").status_code == 403


def test_check_page(district, client_as):
    entity = listed(ListType.DISHONEST_DEBTOR)
    page = client_as("fgj_liaison").get("/credit/check/", {"uscc": entity.uscc, "scenario": "gov_procurement"})
    assert "限制参加政府采购活动" in page.content.decode()
    bad = client_as("fgj_liaison").get("/credit/check/", {"uscc": "123", "scenario": "gov_procurement"})
    assert "18位" in bad.content.decode()


def test_a_check_whose_audit_record_cannot_be_written_answers_503_and_records_nothing(district, client_as):
    from unittest import mock

    from django.db import OperationalError

    from regshare.core import audit

    entity = listed(ListType.DISHONEST_DEBTOR)
    checks, records = CreditCheck.objects.count(), AuditRecord.objects.count()
    with mock.patch.object(audit, "record", side_effect=OperationalError("database is locked")):
        response = client_as("fgj_liaison").get("/api/v1/credit/check",
                                                {"uscc": entity.uscc, "scenario": "政府采购"})
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "audit_unavailable" and "审计记录写入失败" in body["message"]
    assert "限制" not in response.text  # no unaudited answer
    assert (CreditCheck.objects.count(), AuditRecord.objects.count()) == (checks, records)


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_commit_in_groups_with_their_audit_records_and_the_chain_holds(demo):
    """Outside a transaction (a request thread) the check record and its audit record go to the audit group
    writer together; several threads at once share commits, each record names its own check."""
    import threading

    from django.db import connection

    from regshare.core import audit

    entity = Entity.objects.create(uscc=make_uscc("91360404MA35GRP0X"), name="九江成组提交测试有限公司")
    saved, errors = [], []
    start = threading.Barrier(6)

    def check(i: int) -> None:
        try:
            start.wait()
            saved.append(audit.record_row(f"user:t{i}", "credit.checked", CreditCheck(
                entity=entity, scenario="bidding", actor=f"user:t{i}", conclusion="无限制"), {"i": i}))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=check, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(c.actor for c in saved) == [f"user:t{i}" for i in range(6)]
    for c in saved:
        assert CreditCheck.objects.filter(pk=c.pk, actor=c.actor).exists()
        record = AuditRecord.objects.get(action="credit.checked", target=f"credit.creditcheck:{c.pk}")
        assert record.actor == c.actor
    result = audit.verify()
    assert result.ok, result.reason

    # A batch that fails writes neither the check nor its record, and the caller is told.
    from unittest import mock

    before = (CreditCheck.objects.count(), AuditRecord.objects.count())
    with mock.patch.object(audit, "_chain_row", side_effect=RuntimeError("disk full")), \
            pytest.raises(audit.AuditUnavailable):
        audit.record_row("user:late", "credit.checked",
                         CreditCheck(entity=entity, scenario="bidding", actor="user:late", conclusion="无限制"))
    assert (CreditCheck.objects.count(), AuditRecord.objects.count()) == before
    assert audit.verify().ok
