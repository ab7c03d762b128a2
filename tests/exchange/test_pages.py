"""Pages of every step: apply, my applications, review queue, grants, subscriptions, corrections, access log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from regshare.exchange.models import Application, ApplicationStatus


@pytest.mark.parametrize("url", [
    "/exchange/applications/", "/exchange/applications/new/?resource=SCJG-0001", "/exchange/grants/",
    "/exchange/subscriptions/", "/exchange/corrections/",
])
def test_pages_open_for_a_liaison(client_as, resource, url):
    assert client_as("xzsp_liaison").get(url).status_code == 200


def test_section_roots_lead_to_a_page_for_the_role(client_as, resource):
    assert client_as("xzsp_liaison").get("/exchange/")["Location"] == "/exchange/applications/"
    assert client_as("fgj_analyst").get("/credit/").status_code == 302


def test_nav_lists_the_exchange_pages(client_as, resource):
    page = client_as("scjg_reviewer").get("/").content.decode()
    for label in ("共享申请", "审核队列", "共享授权", "数据纠错"):
        assert label in page


def test_apply_review_and_grant_through_the_pages(client_as, resource):
    client = client_as("xzsp_liaison")
    today = dt.date.today()
    response = client.post("/exchange/applications/new/", {
        "resource": "SCJG-0001", "fields": ["uscc", "name", "phone"], "purpose": "审批核验", "scenario": "窗口",
        "legal_basis": "条例", "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=30)).isoformat(),
        "approval_file": SimpleUploadedFile("批准.pdf", b"%PDF-1.4", content_type="application/pdf")})
    assert response.status_code == 302
    application = Application.objects.latest("id")
    assert application.number in client.get("/exchange/applications/").content.decode()
    reviewer = client_as("sjj_reviewer")
    assert application.number in reviewer.get("/exchange/queue/").content.decode()
    reviewer.post(f"/exchange/applications/{application.pk}/", {"action": "review", "approve": "0", "reason": ""})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PLATFORM_REVIEW  # a rejection without reason is refused
    reviewer.post(f"/exchange/applications/{application.pk}/", {"action": "review", "approve": "1", "reason": "符合"})
    client_as("scjg_reviewer").post(f"/exchange/applications/{application.pk}/",
                                    {"action": "review", "approve": "1", "reason": ""})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    admin = client_as("xzsp_admin")
    page = admin.post(f"/exchange/grants/{application.grant.pk}/", {"action": "token", "name": "审批系统"})
    assert page.status_code == 200 and "rs_" in page.content.decode()


def test_missing_file_is_reported_on_the_form(client_as, resource):
    response = client_as("xzsp_liaison").post("/exchange/applications/new/", {
        "resource": "SCJG-0001", "fields": ["uscc"], "purpose": "p", "scenario": "s", "legal_basis": "l",
        "period_start": "2026-12-01", "period_end": "2026-12-31"})
    assert response.status_code == 200 and Application.objects.count() == 0


def test_review_queue_is_refused_to_roles_without_review(client_as, resource):
    assert client_as("fgj_analyst").get("/exchange/queue/").status_code == 403


def test_correction_and_grant_pages(client_as, granted, principal_of_user):
    from regshare.exchange import services

    grant = granted(fields=("uscc", "name"))
    correction = services.report_correction(principal_of_user("xzsp_liaison"), grant.resource,
                                            {"uscc": "91360404MA3500002X"}, "name", "新名称", "名称有误")
    provider = client_as("scjg_liaison")
    assert "校核答复" in provider.get(f"/exchange/corrections/{correction.pk}/").content.decode()
    assert provider.get(f"/exchange/grants/{grant.pk}/").status_code == 200
    assert provider.get("/exchange/access-logs/").status_code == 200


def test_delegation_page(client_as, resource):
    from regshare.core.models import User
    from regshare.exchange.models import ReviewDelegate

    admin = client_as("scjg_admin")
    inspector = User.objects.get(username="scjg_inspector")
    form = admin.get("/exchange/delegates/").content.decode()
    assert f'<option value="{inspector.pk}">' in form and '<option value="SCJG-0001">' in form  # picked, not typed
    refused = admin.post("/exchange/delegates/", {"user": "999999", "resource": "SCJG-0001"}, follow=True)
    assert "请从名单中选择授权代理人" in refused.content.decode() and not ReviewDelegate.objects.exists()
    admin.post("/exchange/delegates/", {"user": inspector.pk, "resource": "SCJG-0001"})
    delegation = ReviewDelegate.objects.get(delegate__username="scjg_inspector", resource=resource)
    assert "scjg_inspector" in admin.get("/exchange/delegates/").content.decode()
    admin.post("/exchange/delegates/", {"end": delegation.pk})
    delegation.refresh_from_db()
    assert not delegation.active


def test_application_api_with_row_filter(client_as, resource):
    from django.core.files.uploadedfile import SimpleUploadedFile

    today = dt.date.today()
    form = {"resource": "SCJG-0001", "fields": "uscc,name,status", "row_filter": '{"status": ["存续"]}',
            "purpose": "p", "scenario": "s", "legal_basis": "l", "period_start": today.isoformat(),
            "period_end": (today + dt.timedelta(days=9)).isoformat(),
            "approval_file": SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf")}
    response = client_as("xzsp_liaison").post("/api/v1/applications", form)
    assert response.status_code == 201, response.content
    assert Application.objects.get(pk=response.json()["id"]).row_filter == {"status": ["存续"]}
    form["row_filter"] = "{bad"
    form["approval_file"] = SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf")
    bad = client_as("xzsp_liaison").post("/api/v1/applications", form)
    assert bad.status_code == 400 and bad.json()["code"] == "bad_row_filter"
