"""Evaluation report: drafted from an evaluation, Word and PDF with charts built in the background with progress,
comments from departments, entities and the public until a deadline, revision, approval, publication."""

import datetime as dt
import io
import re
import zlib
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from docx import Document

from regshare.core import workflow
from regshare.core.models import AuditRecord
from regshare.core.workdays import add_workdays
from regshare.evaluation import services
from regshare.evaluation.models import BuildState, Evaluation, Report, ReportStatus

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def pdf_fonts(pdf: bytes) -> list[bytes]:
    """The fonts a PDF embeds (their dictionaries sit in compressed object streams)."""
    plain = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            plain.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return re.findall(rb"/BaseFont\s*/[^\s/<>]+", b"".join(plain))


@pytest.fixture
def draft(evaluation_demo, principal_of_user):
    evaluation = Evaluation.objects.order_by("-created_at").first()
    return services.create_report(principal_of_user("fgj_analyst"), f"{evaluation.period}市场准入效能评估报告",
                                  evaluation.period, evaluation)


def test_draft_is_written_from_the_evaluation(draft):
    evaluation = draft.evaluation
    assert evaluation.grade in draft.results and f"{evaluation.score:.1f}" in draft.results
    weakest = min(evaluation.detail["groups"], key=lambda g: g["score"])
    assert weakest["label"] in draft.problems and weakest["label"] in draft.suggestions
    assert "层次分析法" in draft.method and "模糊综合评价" in draft.method
    assert draft.status == ReportStatus.DRAFT


def test_report_refuses_missing_sections_and_wrong_period(evaluation_demo, principal_of_user):
    analyst = principal_of_user("fgj_analyst")
    before = Report.objects.count()
    with pytest.raises(ValidationError, match="评估目的"):
        services.create_report(analyst, "空报告", "2026H1")
    evaluation = Evaluation.objects.first()
    other = "2025H2" if evaluation.period != "2025H2" else "2026H1"
    with pytest.raises(ValidationError, match="统计期"):
        services.create_report(analyst, "错期报告", other, evaluation)
    assert Report.objects.count() == before


def test_files_are_built_with_charts_and_progress(draft, client_as):
    client = client_as("fgj_analyst")
    page = client.get(f"/evaluation/reports/{draft.pk}/").content.decode()
    assert "生成 Word 和 PDF 文件" in page and "未生成" in page
    client.post(f"/evaluation/reports/{draft.pk}/", {"do": "build"})  # huey runs at once in tests
    draft.refresh_from_db()
    assert draft.build_state == BuildState.DONE and draft.build_progress == 100
    word = Document(io.BytesIO(bytes(draft.docx)))
    text = "\n".join(p.text for p in word.paragraphs)
    assert draft.title in text and "四、存在问题及原因" in text
    assert len(word.inline_shapes) == 2  # group scores and the evaluation vector
    assert bytes(draft.pdf).startswith(b"%PDF") and bytes(draft.pdf).count(b"/Subtype /Image") >= 2
    assert any(b"+WenQuanYi" in font for font in pdf_fonts(bytes(draft.pdf)))  # Chinese glyphs, not boxes
    progress = client.get(f"/evaluation/reports/{draft.pk}/progress/").content.decode()
    assert "下载 Word" in progress and "hx-trigger" not in progress
    download = client.get(f"/evaluation/reports/{draft.pk}/file/docx/")
    assert download.status_code == 200 and download.content == bytes(draft.docx)
    assert AuditRecord.objects.filter(action="evaluation.report.download").exists()
    # the public sees nothing before publication
    client.logout()
    assert client.get(f"/evaluation/reports/{draft.pk}/file/pdf/").status_code == 404


def test_progress_is_polled_while_building(draft, client_as):
    Report.objects.filter(pk=draft.pk).update(build_state=BuildState.RUNNING, build_progress=40,
                                              build_step="生成 Word 文件")
    fragment = client_as("fgj_analyst").get(f"/evaluation/reports/{draft.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "40%" in fragment and "生成 Word 文件" in fragment


def test_consult_revise_approve_publish(draft, client_as, principal_of_user, time_machine):
    analyst = principal_of_user("fgj_analyst")
    services.build_report_files(draft.pk)
    client = client_as("fgj_analyst")
    client.post(f"/evaluation/reports/{draft.pk}/", {"transition": "consult", "comment_deadline": ""})
    draft.refresh_from_db()
    today = dt.date(2026, 12, 2)
    assert draft.status == ReportStatus.CONSULTING and draft.comment_deadline == add_workdays(today, 10)
    # a department comments from the report page, an entity and a member of the public from the public page
    client_as("scjg_liaison").post(f"/evaluation/reports/{draft.pk}/", {"do": "comment", "content": "建议补充抽查数据"})
    client.logout()
    bad = client.post(f"/evaluation/reports/{draft.pk}/comment/", {"kind": "entity", "author": "某公司",
                                                                   "uscc": "91360404MA0000000X", "content": "好"})
    assert "校验位" in bad.content.decode() or "统一社会信用代码" in bad.content.decode()
    public = client.post(f"/evaluation/reports/{draft.pk}/comment/", {"kind": "public", "author": "张三",
                                                                      "content": "办事等待时间长"})
    assert "已提交" in public.content.decode()
    assert sorted(draft.comments.values_list("kind", flat=True)) == ["department", "public"]
    assert draft.comments.get(kind="department").department.code == "360404-SCJG"
    with pytest.raises(ValidationError, match="征求意见期尚未结束"):
        workflow.perform(analyst, draft, "revise", revision_note="已采纳")
    time_machine.move_to(dt.datetime.combine(draft.comment_deadline + dt.timedelta(days=1), dt.time(10), TZ),
                         tick=False)
    with pytest.raises(ValidationError, match="已于"):
        services.add_comment(principal_of_user("swj_liaison"), draft, "迟到的意见")
    client = client_as("fgj_analyst")
    client.post(f"/evaluation/reports/{draft.pk}/", {"transition": "revise", "revision_note": "采纳 2 条意见"})
    draft.refresh_from_db()
    assert draft.status == ReportStatus.REVISED
    # the analyst cannot approve for the district government; a leader can
    client.post(f"/evaluation/reports/{draft.pk}/", {"transition": "approve", "approval_note": "同意"})
    assert Report.objects.get(pk=draft.pk).status == ReportStatus.REVISED
    client_as("fgj_leader").post(f"/evaluation/reports/{draft.pk}/", {"transition": "approve",
                                                                     "approval_note": "同意发布"})
    client_as("fgj_analyst").post(f"/evaluation/reports/{draft.pk}/", {"transition": "publish"})
    draft.refresh_from_db()
    assert draft.status == ReportStatus.PUBLISHED and draft.published_on == draft.comment_deadline + dt.timedelta(1)
    assert [r.pk for r in services.published_reports()][0] == draft.pk  # the newest first
    content, name, content_type = services.published_report_file(draft.pk, "pdf")
    assert content.startswith(b"%PDF") and name.endswith(".pdf") and content_type == "application/pdf"
    assert services.published_report_file(draft.pk, "exe") is None
    client.logout()
    assert client.get(f"/evaluation/reports/{draft.pk}/file/pdf/").status_code == 200


def test_publish_needs_the_files(draft, principal_of_user):
    Report.objects.filter(pk=draft.pk).update(status=ReportStatus.APPROVED)
    draft.refresh_from_db()
    with pytest.raises(ValidationError, match="请先生成"):
        workflow.perform(principal_of_user("fgj_analyst"), draft, "publish")
    assert draft.pk not in [r.pk for r in services.published_reports()]


def test_reports_api_lists_with_actions(draft, client, client_as):
    assert client.get("/api/v1/evaluation/reports").status_code == 401
    body = client_as("fgj_analyst").get("/api/v1/evaluation/reports", {"status": "draft"}).json()
    row = next(r for r in body["items"] if r["id"] == draft.pk)
    assert row["status"] == "draft" and [a["name"] for a in row["actions"]] == ["consult"]
    assert client_as("fgj_analyst").get("/api/v1/evaluation/reports", {"status": "nope"}).json()["items"] == []


def test_reports_api_takes_each_step_with_the_pages_rules(draft, client, client_as, time_machine):
    services.build_report_files(draft.pk)
    url = f"/api/v1/evaluation/reports/{draft.pk}"
    assert client.post(f"{url}/consult", {}, content_type="application/json").status_code == 401
    assert client_as("scjg_liaison").post(f"{url}/consult", {}, content_type="application/json").status_code == 403
    analyst = client_as("fgj_analyst")
    consulted = analyst.post(f"{url}/consult", {"comment_deadline": ""}, content_type="application/json")
    assert consulted.status_code == 200 and consulted.json()["status"] == "consulting"
    deadline = dt.date.fromisoformat(consulted.json()["comment_deadline"])
    assert deadline == add_workdays(dt.date(2026, 12, 2), 10)
    early = analyst.post(f"{url}/revise", {"revision_note": "已采纳"}, content_type="application/json")
    assert early.status_code == 400 and early.json()["code"] == "comments_open" and "征求意见期尚未结束" in early.json()["message"]
    assert analyst.post(f"{url}/no-such-step", {}, content_type="application/json").status_code in (400, 404)
    time_machine.move_to(dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(10), TZ), tick=False)
    analyst = client_as("fgj_analyst")
    assert analyst.post(f"{url}/revise", {}, content_type="application/json").status_code == 400  # note required
    assert analyst.post(f"{url}/revise", {"revision_note": "采纳 1 条意见"},
                        content_type="application/json").json()["status"] == "revised"
    assert analyst.post(f"{url}/approve", {"approval_note": "同意"}, content_type="application/json").status_code == 403
    approved = client_as("fgj_leader").post(f"{url}/approve", {"approval_note": "同意发布"},
                                            content_type="application/json")
    assert approved.json()["status"] == "approved"
    published = client_as("fgj_analyst").post(f"{url}/publish", {}, content_type="application/json").json()
    assert published["status"] == "published" and published["actions"] == []
    assert client_as("fgj_analyst").get(url).json()["published_on"] == str(deadline + dt.timedelta(days=1))
    assert AuditRecord.objects.filter(action="evaluation.report.publish", target__endswith=str(draft.pk)).exists()
    assert client_as("fgj_analyst").get("/api/v1/evaluation/reports/2147483647").status_code == 404
