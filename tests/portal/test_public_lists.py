"""双公示 and 双随机、一公开 on the public portal: only what is published, only inside its period."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine

from regshare.core.models import AuditRecord, Department
from regshare.credit.models import CreditRecord, PublicityStatus
from regshare.entities.models import Entity
from regshare.supervision.models import DrawSelection, InspectionTask, TaskStatus

TODAY = dt.date(2026, 9, 15)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def record(doc_no: str, *, publicity=PublicityStatus.PUBLISHED, until: dt.date | None = None, kind="penalty"):
    return CreditRecord.objects.create(
        kind=kind, doc_no=doc_no, raw_uscc="", raw_name=f"{doc_no}的企业", title="测试事项",
        department=Department.objects.get(code="360404-SCJG"), decided_on=dt.date(2026, 9, 1),
        publicity=publicity, published_on=dt.date(2026, 9, 2), publicity_until=until)


def test_publicity_shows_published_items_inside_their_period(client, demo):
    record("罚-在期", until=TODAY)
    record("许-无期限", kind="licence")
    record("罚-期满", until=TODAY - dt.timedelta(days=1))
    record("罚-待公示", publicity=PublicityStatus.PENDING)
    record("罚-已修复", publicity=PublicityStatus.REPAIRED, until=TODAY + dt.timedelta(days=90))
    with time_machine.travel(at(TODAY), tick=False):
        html = client.get("/portal/publicity/").content.decode()
        licences = client.get("/portal/publicity/", {"kind": "licence"}).content.decode()
        searched = client.get("/portal/publicity/", {"q": "罚-在"}).content.decode()
    assert "罚-在期" in html and "许-无期限" in html
    assert "罚-期满" not in html and "罚-待公示" not in html and "罚-已修复" not in html
    assert "许-无期限" in licences and "罚-在期" not in licences
    assert "罚-在期" in searched and "许-无期限" not in searched
    assert AuditRecord.objects.filter(action="portal.publicity.list").exists()


def test_unknown_kind_matches_nothing_rather_than_failing(client, demo):
    record("罚-在期", until=None)
    response = client.get("/portal/publicity/", {"kind": "<script>"})
    assert response.status_code == 200 and "罚-在期" not in response.content.decode()


def _task(code: str, status: str) -> InspectionTask:
    return InspectionTask.objects.create(
        code=code, name=f"{code} 食品经营抽查", department=Department.objects.get(code="360404-SCJG"), status=status,
        seed="a1b2c3" + code, pool_sha256="f" * 64, drawn_at=at(dt.date(2026, 9, 1)) if status != "draft" else None)


def test_inspection_plans_from_the_draw_on_with_the_seed_and_results_once_published(client, demo):
    _task("CJ-草稿", TaskStatus.DRAFT)
    drawn = _task("CJ-已抽取", TaskStatus.DRAWN)
    done = _task("CJ-已公示", TaskStatus.PUBLISHED)
    entity = Entity.objects.create(uscc="91360404MA00000001", name="测试抽查企业", name_norm="测试抽查企业")
    for task in (drawn, done):
        DrawSelection.objects.create(task=task, entity=entity, code=entity.uscc, stratum="B",
                                     outcome="corrected", inspected_on=dt.date(2026, 9, 10))
    html = client.get("/portal/inspections/").content.decode()
    assert "CJ-已抽取" in html and "CJ-已公示" in html and "CJ-草稿" not in html
    assert client.get("/portal/inspections/CJ-草稿/").status_code == 404

    before = client.get("/portal/inspections/CJ-已抽取/").content.decode()
    assert "a1b2c3CJ-已抽取" in before and "f" * 64 in before and "测试抽查企业" in before
    assert "发现问题已责令改正" not in before  # results are not public before the task publishes them
    after = client.get("/portal/inspections/CJ-已公示/").content.decode()
    assert "发现问题已责令改正" in after and f"/api/v1/supervision/draws/{done.pk}" in after
    assert AuditRecord.objects.filter(action="portal.inspections.task", target="task:CJ-已公示").exists()


def test_every_portal_page_answers_without_login(client, demo):
    for path in ["/portal/", "/portal/open-data/", "/portal/credit/", "/portal/credit/?q=企业", "/portal/publicity/",
                 "/portal/inspections/", "/portal/publicity/?page=999", "/portal/open-data/?page=abc"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Traceback" not in response.content.decode()


def _report(title: str, status: str, **files):
    from regshare.evaluation.models import Report

    return Report.objects.create(title=title, period="2026H1", purpose="目的", method="层次分析法", results="良",
                                 problems="问题", suggestions="建议", status=status,
                                 published_on=dt.date(2026, 8, 1) if status == "published" else None, **files)


def test_only_published_evaluation_reports_are_public_with_their_files(client, demo):
    published = _report("2026年上半年市场准入效能评估报告", "published", docx=b"PK-word-bytes")
    draft = _report("尚在征求意见的报告", "consulting")
    html = client.get("/portal/reports/").content.decode()
    assert "2026年上半年市场准入效能评估报告" in html and "尚在征求意见的报告" not in html
    detail = client.get(f"/portal/reports/{published.pk}/").content.decode()
    assert "层次分析法" in detail and "下载 Word" in detail and "下载 PDF" not in detail
    word = client.get(f"/portal/reports/{published.pk}/file.docx")
    assert word.status_code == 200 and word.content == b"PK-word-bytes"
    assert client.get(f"/portal/reports/{published.pk}/file.pdf").status_code == 404
    assert client.get(f"/portal/reports/{draft.pk}/").status_code == 404
    assert AuditRecord.objects.filter(action="portal.reports.download", target=f"report:{published.pk}").exists()
