"""The main lists and the review queue make the same number of queries for 2 rows as for 8 (no N+1): each page
is rendered with a few rows, then with four times as many, and the query counts must be equal."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from regshare.core.models import Department, User

_n = itertools.count(1)


def _dept(suffix: str) -> Department:
    return Department.objects.get(code__endswith=f"-{suffix}")


def _entity():
    from regshare.entities.models import Entity

    i = next(_n)
    return Entity.objects.create(uscc=f"91360404MA3Q{i:05d}X", name=f"查询计数测试企业{i}有限公司",
                                 name_norm=f"查询计数测试企业{i}")


def _application():
    from regshare.catalog.models import Resource
    from regshare.exchange.models import Application, ReviewStep, Stage

    today = dt.date.today()
    requester = _dept(next(iter(["XZSP", "FGJ", "SWJ"])))
    application = Application.objects.create(
        number=f"SQQ{next(_n):06d}", requester=requester, applicant=User.objects.get(username="xzsp_liaison"),
        resource=Resource.objects.get(code="SCJG-0001"), fields=["uscc"], purpose="p", scenario="s", legal_basis="l",
        period_start=today, period_end=today + dt.timedelta(days=30), approval_file="exchange/approvals/x.pdf",
        submitted_on=today)
    ReviewStep.objects.create(application=application, stage=Stage.PLATFORM, department=_dept("SJJ"), opened_on=today,
                              deadline=today + dt.timedelta(days=2))


def _list_entry():
    from regshare.credit.models import ListEntry

    ListEntry.objects.create(list_type="abnormal", entity=_entity(), cause="annual_report",
                             decision_no=f"柴市监异〔2026〕Q{next(_n)}号", department=_dept("SCJG"),
                             listed_on=dt.date.today())


def _record():
    from regshare.credit.models import CreditRecord

    return CreditRecord.objects.create(kind="penalty", doc_no=f"柴市监罚〔2026〕Q{next(_n)}号", entity=_entity(),
                                       raw_name="测试企业", department=_dept("SCJG"), title="虚假宣传",
                                       decided_on=dt.date.today(), severity="general", publicity="pending",
                                       publish_due=dt.date.today())


def _repair():
    from regshare.credit.models import RepairApplication

    record = _record()
    record.publicity = "published"
    record.save()
    RepairApplication.objects.create(record=record, applicant="张三", reason="已整改", commitment=True,
                                     submitted_on=dt.date.today(), due_on=dt.date.today())


def _resource():
    from regshare.catalog import services
    from regshare.core.permissions import Principal

    liaison = Principal.for_user(User.objects.get(username="scjg_liaison"))
    services.create_resource(liaison, {"name": f"查询计数资源{next(_n)}", "summary": "测试"},
                             [{"name": "统一社会信用代码", "code_name": "uscc", "is_key": True}])


def _published_record():
    record = _record()
    record.publicity = "published"
    record.save(update_fields=["publicity"])


def _open_resource():
    from regshare.catalog.models import Resource

    Resource.objects.create(code=f"OPEN-Q{next(_n):04d}", name=f"查询计数开放资源{next(_n)}", provider=_dept("SCJG"),
                            share_type="unconditional", open_type="open", status="published")


def _inspection_task():
    from regshare.supervision.models import InspectionTask

    task = InspectionTask.objects.create(code=f"CJQ{next(_n):05d}", name="查询计数抽查", department=_dept("SCJG"),
                                         status="drawn")
    task.joint_departments.add(_dept("YJJ"))


def _alert():
    from regshare.risk.models import Alert, RiskRule

    entity = _entity()
    Alert.objects.create(number=f"YJQ{next(_n):06d}", entity=entity, source="rule", rule=RiskRule.objects.first(),
                         level="C", score=40, title="测试预警", department=_dept("SCJG"), raised_on=dt.date.today())


def _score():
    from regshare.risk.models import RiskScore

    RiskScore.objects.create(entity=_entity(), score=30, probability=0.3, level="C", computed_on=dt.date.today(),
                             reasons=[{"text": "近30日投诉举报2件", "contribution": 0.5}])


def _published_report():
    from regshare.evaluation.models import Report

    Report.objects.create(title=f"查询计数报告{next(_n)}", period="2026H1", purpose="p", method="m", results="r",
                          problems="p", suggestions="s", status="published", published_on=dt.date.today())


def _assistance():
    from regshare.supervision.models import AssistanceRequest

    AssistanceRequest.objects.create(requester=_dept("SCJG"), target=_dept("YJJ"), entity=_entity(),
                                     subject=f"协查事项{next(_n)}", content="核实经营场所", deadline=dt.date.today())


def _case():
    from regshare.supervision.models import Case

    case = Case.objects.create(title=f"查询计数案件{next(_n)}", entity=_entity(), lead_department=_dept("SCJG"),
                               summary="跨部门案件", opened_on=dt.date.today())
    case.departments.add(_dept("YJJ"))


def _report():
    from regshare.evaluation.models import Report

    Report.objects.create(title=f"查询计数评估报告{next(_n)}", period="2026H1", purpose="目的", method="方法",
                          results="结果", problems="问题", suggestions="建议")


def _topic():
    from regshare.evaluation.models import AnalysisTopic

    topic = AnalysisTopic.objects.create(title=f"查询计数专题{next(_n)}", kind="entry_trend", lead=_dept("SJJ"),
                                         method="按行业统计")
    topic.members.add(_dept("SCJG"))


LISTS = [
    ("assistance requests", "/supervision/assistance/", "scjg_liaison", _assistance),
    ("cases", "/supervision/cases/", "scjg_liaison", _case),
    ("evaluation reports", "/evaluation/reports/", "sjj_analyst", _report),
    ("analysis topics", "/evaluation/topics/", "sjj_analyst", _topic),
    ("catalog list", "/catalog/", "scjg_liaison", _resource),
    ("application list", "/exchange/applications/", "sjj_reviewer", _application),
    ("review queue", "/exchange/queue/", "sjj_reviewer", _application),
    ("credit lists", "/credit/lists/", "scjg_liaison", _list_entry),
    ("publicity", "/credit/publicity/", "scjg_liaison", _record),
    ("repairs", "/credit/repairs/", "scjg_reviewer", _repair),
    ("entity list", "/entities/", "scjg_liaison", _entity),
    ("portal open data", "/portal/open-data/?q=查询计数", "scjg_liaison", _open_resource),
    ("portal publicity", "/portal/publicity/", "scjg_liaison", _published_record),
    ("portal inspections", "/portal/inspections/", "scjg_liaison", _inspection_task),
    ("portal reports", "/portal/reports/", "scjg_liaison", _published_report),
    ("risk alerts", "/risk/alerts/", "scjg_inspector", _alert),
    ("risk scores", "/risk/map/", "sjj_analyst", _score),
]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name, url, username, add", LISTS, ids=[row[0] for row in LISTS])
def test_list_queries_do_not_grow_with_rows(demo, client_as, name, url, username, add):
    client = client_as(username)
    for _ in range(2):
        add()
    client.get(url)  # warm the per-process caches (permissions, menu) so both counts see the same state
    few = _queries(client, url)
    for _ in range(6):
        add()
    many = _queries(client, url)
    assert many == few, f"{name}: {few} queries for a few rows, {many} for four times as many"
