"""Applications through review to a grant: deadlines in working days, rejections, negotiation,
coordination, dedicated use, delegation, overdue flags, revocation and destruction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regshare.catalog.models import ShareType
from regshare.core import workflow
from regshare.core.models import AuditRecord, Department, Notification
from regshare.exchange import services
from regshare.exchange.models import (
    Application,
    ApplicationStatus,
    Decision,
    Grant,
    GrantStatus,
    ReviewStep,
    Stage,
)

pytestmark = pytest.mark.date_sensitive  # deadlines and report months count from today (make test-dates)

HOLIDAY_START = dt.date(2026, 9, 30)  # the day before the National Day week


def audited(action: str) -> bool:
    return AuditRecord.objects.filter(action=action).exists()


def test_unconditional_needs_only_the_platform_review(resource, apply, principal_of_user):
    resource.share_type = ShareType.UNCONDITIONAL
    resource.save()
    application = apply(resource, on=HOLIDAY_START)
    step = application.steps.get()
    assert (step.stage, step.deadline) == (Stage.PLATFORM, dt.date(2026, 10, 9))  # 2 working days over 国庆
    services.review(principal_of_user("sjj_reviewer"), application, True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.grant.fields == ["uscc", "name", "legal_rep", "legal_rep_id", "phone", "address"]
    assert audited("exchange.application.submit") and audited("exchange.grant.create")


def test_conditional_goes_to_the_provider_with_its_own_deadline(resource, apply, principal_of_user):
    application = apply(resource, on=HOLIDAY_START)
    services.review(principal_of_user("sjj_reviewer"), application, True, on=dt.date(2026, 10, 9))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PROVIDER_REVIEW
    provider_step = application.current_step()
    # 10-10 is an adjusted Saturday workday (调休), so five working days end on 10-15.
    assert (provider_step.stage, provider_step.deadline) == (Stage.PROVIDER, dt.date(2026, 10, 15))
    assert provider_step.department == resource.provider
    with pytest.raises(PermissionDenied):
        services.review(principal_of_user("fgj_reviewer"), application, True)
    services.review(principal_of_user("scjg_reviewer"), application, True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.grant.status == GrantStatus.ACTIVE


def test_review_days_are_settings(resource, apply, settings):
    settings.REGSHARE_PLATFORM_REVIEW_DAYS = 3
    application = apply(resource, on=HOLIDAY_START)
    assert application.steps.get().deadline == dt.date(2026, 10, 10)


def test_rejection_without_reason_is_refused_and_changes_nothing(resource, apply, principal_of_user):
    application = apply(resource)
    before = AuditRecord.objects.count()
    with pytest.raises(ValidationError) as info:
        services.review(principal_of_user("sjj_reviewer"), application, False, "  ")
    assert info.value.code == "reason_required"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PLATFORM_REVIEW
    assert application.current_step().decision == ""
    assert AuditRecord.objects.count() == before


def test_rejection_with_reason_notifies_the_requester(resource, apply, principal_of_user):
    application = apply(resource)
    services.review(principal_of_user("sjj_reviewer"), application, False, "用途与资源不符")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert Notification.objects.filter(department=application.requester, kind="exchange.rejected").exists()
    assert not Grant.objects.filter(application=application).exists()


@pytest.mark.parametrize("change, code", [
    ({"share_type": ShareType.NONE}, "not_shared"),
    ({"status": "draft"}, "unknown_resource"),  # another department's draft is not even named
])
def test_resources_that_cannot_be_applied_for(resource, apply, change, code):
    for name, value in change.items():
        setattr(resource, name, value)
    resource.save()
    before = Application.objects.count()
    with pytest.raises(ValidationError) as info:
        apply(resource)
    assert info.value.code == code
    assert Application.objects.count() == before


@pytest.mark.parametrize("kwargs, code", [
    ({"fields": ()}, "no_fields"),
    ({"fields": ("uscc", "nope")}, "unknown_field"),
    ({"fields": ("uscc",), "clear": ("phone",)}, "unknown_field"),
])
def test_bad_applications_change_nothing(resource, apply, kwargs, code):
    before = Application.objects.count()
    with pytest.raises(ValidationError) as info:
        apply(resource, **kwargs)
    assert info.value.code == code
    assert Application.objects.count() == before


def test_approval_file_is_required(resource, principal_of_user):
    today = dt.date.today()
    with pytest.raises(ValidationError) as info:
        services.submit_application(principal_of_user("xzsp_liaison"), services.ApplicationInput(
            resource=resource, fields=["uscc"], purpose="p", scenario="s", legal_basis="l", period_start=today,
            period_end=today + dt.timedelta(days=5), approval_file=None))
    assert info.value.code == "approval_required"


def test_dedicated_department_uses_the_resource_without_application(resource, apply, principal_of_user):
    xzsp = Department.objects.get(code__endswith="-XZSP")
    resource.dedicated_departments.add(xzsp)
    with pytest.raises(ValidationError) as info:
        apply(resource)
    assert info.value.code == "dedicated_no_application"
    scope = services.access_scope(principal_of_user("xzsp_liaison"), resource)
    assert scope is not None and scope.basis == "dedicated" and not scope.clear
    grant = services.open_dedicated_grant(principal_of_user("xzsp_liaison"), resource)
    assert grant.application is None and grant.status == GrantStatus.ACTIVE
    with pytest.raises(PermissionDenied):
        services.open_dedicated_grant(principal_of_user("fgj_liaison"), resource)


def test_access_scope_rules(resource, granted, principal_of_user):
    assert services.access_scope(principal_of_user("fgj_liaison"), resource) is None  # conditional, no grant
    grant = granted(fields=("uscc", "phone"), clear=("phone",))
    provider = services.access_scope(principal_of_user("scjg_liaison"), resource)
    assert provider.basis == "provider"
    resource.share_type = ShareType.UNCONDITIONAL
    resource.save()
    open_scope = services.access_scope(principal_of_user("fgj_analyst"), resource)
    assert open_scope.basis == "unconditional" and open_scope.clear == frozenset()
    scope = services.access_scope(principal_of_user("xzsp_liaison"), resource)
    assert (scope.basis, scope.fields, scope.clear, scope.grant) == ("grant", ("uscc", "phone"), {"phone"}, grant)


def test_delegated_agent_reviews_for_the_provider(resource, apply, principal_of_user, user_named):
    services.delegate_review(principal_of_user("scjg_admin"), user_named("sjj_analyst"), resource)
    application = apply(resource)
    services.review(principal_of_user("sjj_reviewer"), application, True)
    agent = principal_of_user("sjj_analyst")
    assert [s.application for s in services.review_queue(agent)] == [application]
    services.review(agent, application, True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.steps.get(stage=Stage.PROVIDER).delegated


def test_refused_application_goes_to_negotiation_then_coordination(resource, apply, principal_of_user):
    application = apply(resource)
    services.review(principal_of_user("sjj_reviewer"), application, True)
    services.review(principal_of_user("scjg_reviewer"), application, False, "涉及个人信息,需进一步评估")
    services.start_negotiation(principal_of_user("xzsp_liaison"), application, "审批核验履职确需")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEGOTIATION
    with pytest.raises(PermissionDenied):
        services.conclude_negotiation(principal_of_user("xzsp_reviewer"), application, True, "同意")
    services.conclude_negotiation(principal_of_user("scjg_reviewer"), application, False, "未达成一致")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.COORDINATION
    with pytest.raises(ValidationError):
        services.coordinate(principal_of_user("sjj_reviewer"), application, True, "")
    services.coordinate(principal_of_user("sjj_reviewer"), application, True, "履职需要,脱敏后共享")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.grant.status == GrantStatus.ACTIVE
    assert audited("exchange.application.coordinate")


def test_platform_rejection_cannot_be_negotiated(resource, apply, principal_of_user):
    application = apply(resource)
    services.review(principal_of_user("sjj_reviewer"), application, False, "缺少法律依据")
    with pytest.raises(ValidationError) as info:
        services.start_negotiation(principal_of_user("xzsp_liaison"), application, "需要")
    assert info.value.code == "wrong_stage"


def test_review_queue_is_ordered_by_deadline_and_overdue_is_flagged(resource, apply, principal_of_user):
    late = apply(resource, on=dt.date(2026, 11, 2))
    early = apply(resource, user="fgj_liaison", on=dt.date(2026, 10, 26))
    queue = services.review_queue(principal_of_user("sjj_reviewer"))
    mine = [s.application for s in queue if s.application in (late, early)]
    assert mine == [early, late]
    flagged = services.flag_overdue(on=dt.date(2026, 11, 3))
    assert flagged >= 1
    step = early.current_step()
    assert step.overdue_flagged_on == dt.date(2026, 11, 3)
    assert late.current_step().overdue_flagged_on is None
    assert Notification.objects.filter(kind="exchange.overdue", title__contains=early.number).exists()
    assert audited("exchange.review.overdue")
    # Flagged once only: a later run neither re-flags the step nor notifies again.
    notices = Notification.objects.filter(kind="exchange.overdue", title__contains=early.number).count()
    services.flag_overdue(on=dt.date(2026, 11, 4))
    assert ReviewStep.objects.get(pk=step.pk).overdue_flagged_on == dt.date(2026, 11, 3)
    assert Notification.objects.filter(kind="exchange.overdue", title__contains=early.number).count() == notices


def test_dashboard_shows_queue_items_with_overdue(resource, apply, client_as):
    from django.utils import timezone

    from regshare.core.workdays import add_workdays

    submitted = timezone.localdate() - dt.timedelta(days=30)  # the 2-working-day platform deadline is long past
    application = apply(resource, on=submitted)
    page = client_as("sjj_reviewer").get("/").content.decode()
    row = next(line for line in page.splitlines() if application.number in line)
    assert f"{add_workdays(submitted, 2):%Y-%m-%d}" in row and "已超期" in row
    assert application.number not in client_as("fgj_reviewer").get("/").content.decode()


def test_revocation_by_provider_needs_a_reason_and_stops_tokens(resource, granted, token_for, api, principal_of_user):
    grant = granted()
    token = token_for(grant)
    assert api("get", "/api/v1/resources/SCJG-0001/rows", token).status_code == 200
    with pytest.raises(ValidationError):
        services.revoke_grant(principal_of_user("scjg_liaison"), grant, "")
    with pytest.raises(PermissionDenied):
        services.revoke_grant(principal_of_user("fgj_liaison"), grant, "滥用")
    services.revoke_grant(principal_of_user("scjg_liaison"), grant, "超范围使用,切断共享通道")
    assert api("get", "/api/v1/resources/SCJG-0001/rows", token).status_code == 401
    assert audited("exchange.grant.revoke")
    assert services.access_scope(principal_of_user("xzsp_liaison"), resource) is None


def test_destruction_is_recorded_after_the_grant_ends(resource, granted, principal_of_user):
    grant = granted()
    consumer = principal_of_user("xzsp_liaison")
    with pytest.raises(ValidationError) as info:
        services.record_destruction(consumer, grant, destroyed_on=dt.date.today(), method="删除", copies="本地库")
    assert info.value.code == "grant_active"
    services.revoke_grant(principal_of_user("admin"), grant, "数据管理部门收回")
    link = f"/exchange/grants/{grant.pk}/"
    assert link in [i.link for i in workflow.pending_for(consumer) if i.category == "销毁登记"]
    assert link not in [i.link for i in workflow.pending_for(principal_of_user("scjg_liaison"))]
    record = services.record_destruction(consumer, grant, destroyed_on=dt.date.today(), method="物理删除并覆写",
                                         copies="审批系统缓存表", witness="王五")
    assert record.grant == grant and audited("exchange.grant.destruction")
    assert link not in [i.link for i in workflow.pending_for(consumer)]


def test_grants_expire_and_their_tokens_stop(resource, granted, token_for, api):
    grant = granted()
    token = token_for(grant)
    assert services.expire_grants(on=grant.expires_on + dt.timedelta(days=1)) == 1
    grant.refresh_from_db()
    assert grant.status == GrantStatus.EXPIRED
    assert api("get", "/api/v1/resources/SCJG-0001/rows", token).status_code == 401


def test_grant_holders_are_consumers_in_the_catalog(resource, granted):
    from regshare.catalog.services import consumers_of

    grant = granted()
    assert grant.consumer in consumers_of(resource)


def test_a_department_cannot_review_its_own_application(resource, apply, principal_of_user, client):
    from regshare.core.models import User

    application = apply(resource, user="sjj_liaison")  # the data bureau itself applies
    reviewer = principal_of_user("sjj_reviewer")
    assert application not in [s.application for s in services.review_queue(reviewer)]
    with pytest.raises(PermissionDenied) as info:
        services.review(reviewer, application, True)
    assert "不能审核本部门提交的共享申请" in str(info.value)
    client.force_login(User.objects.get(username="sjj_reviewer"))
    response = client.post(f"/api/v1/applications/{application.pk}/review", {"approve": True, "reason": ""},
                           content_type="application/json")
    assert response.status_code == 403 and "不能审核本部门" in response.json()["message"]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PLATFORM_REVIEW
    assert application.steps.get().decision == Decision.PENDING
    assert not audited("exchange.application.review")


def test_a_delegate_cannot_review_for_the_provider_an_application_of_its_own_department(
        resource, apply, principal_of_user, user_named):
    services.delegate_review(principal_of_user("scjg_admin"), user_named("xzsp_reviewer"), resource)
    application = apply(resource)  # XZSP applies
    services.review(principal_of_user("sjj_reviewer"), application, True)
    with pytest.raises(PermissionDenied) as info:
        services.review(principal_of_user("xzsp_reviewer"), application, True)
    assert "不能审核本部门" in str(info.value)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PROVIDER_REVIEW


def _submit_with(resource, principal_of_user, upload):
    today = dt.date.today()
    return services.submit_application(principal_of_user("xzsp_liaison"), services.ApplicationInput(
        resource=resource, fields=["uscc"], purpose="核验", scenario="窗口核验", legal_basis="条例",
        period_start=today, period_end=today + dt.timedelta(days=30), approval_file=upload))


def _zip_with(member: str) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content", [
    ("批准.pdf", b"<html><script>alert(1)</script></html>"),
    ("批准.png", b"%PDF-1.4 not an image"),
    ("批准.jpg", b"GIF89a......"),
    ("批准.doc", b"MZ\x90\x00 an executable"),
    ("批准.docx", b"PK\x03\x04 broken zip"),
    ("批准.ofd", None),  # a real zip without OFD.xml
])
def test_approval_files_are_checked_by_content(resource, principal_of_user, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = Application.objects.count()
    with pytest.raises(ValidationError) as info:
        _submit_with(resource, principal_of_user, SimpleUploadedFile(name, content or _zip_with("Doc_0/Document.xml")))
    assert info.value.code == "bad_file_content" and "内容不是有效的" in info.value.messages[0]
    assert Application.objects.count() == before


@pytest.mark.parametrize("name, content", [
    ("批准.pdf", b"%PDF-1.7\n..."),
    ("批准.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("批准.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
    ("批准.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8),
    ("批准.docx", None),
])
def test_genuine_approval_files_are_accepted(resource, principal_of_user, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content or _zip_with("word/document.xml"))
    application = _submit_with(resource, principal_of_user, upload)
    assert application.approval_file.read().startswith((content or b"PK")[:4])


def test_another_departments_draft_is_answered_like_an_unknown_code(resource, principal_of_user, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from regshare.catalog import services as catalog

    draft = catalog.create_resource(principal_of_user("scjg_liaison"), {
        "name": "未发布草稿", "share_type": "unconditional", "open_type": "closed", "update_frequency": "monthly",
        "provision": "file"}, [{"name": "统一社会信用代码", "code_name": "uscc", "data_type": "string"}])
    today = dt.date.today()
    response = client_as("xzsp_liaison").post("/api/v1/applications", {
        "resource": draft.code, "fields": "uscc", "purpose": "p", "scenario": "s", "legal_basis": "l",
        "period_start": today.isoformat(), "period_end": (today + dt.timedelta(days=9)).isoformat(),
        "approval_file": SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")})
    unknown = client_as("xzsp_liaison").post("/api/v1/applications", {
        "resource": "SCJG-9999", "fields": "uscc", "purpose": "p", "scenario": "s", "legal_basis": "l",
        "period_start": today.isoformat(), "period_end": (today + dt.timedelta(days=9)).isoformat(),
        "approval_file": SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")})
    assert response.status_code == unknown.status_code == 400
    assert response.json() == {"code": "unknown_resource", "message": f"资源 {draft.code} 不存在"}
    assert unknown.json()["code"] == "unknown_resource"
    assert not Application.objects.filter(resource=draft).exists()
