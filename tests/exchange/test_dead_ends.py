"""Ways through the sharing pages: from a resource to its application, the list's stage and deadline,
the leader's approval as a link, field names instead of codes, Excel exports of the lists."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from regshare.core.models import AuditRecord


def test_resource_page_leads_to_a_prefilled_application(client_as, resource):
    page = client_as("xzsp_liaison").get("/catalog/r/SCJG-0001/").content.decode()
    assert 'href="/exchange/applications/new/?resource=SCJG-0001"' in page and "申请使用" in page
    form = client_as("xzsp_liaison").get("/exchange/applications/new/?resource=SCJG-0001").content.decode()
    assert 'name="resource" value="SCJG-0001"' in form
    assert "法定代表人</label>" in form and "(legal_rep)" not in form  # names, not codes
    assert '<label for="id_purpose" class="required">' in form  # required fields are marked


def test_the_provider_is_not_offered_its_own_resources(client_as, resource):
    own = client_as("scjg_liaison")
    assert "申请使用" not in own.get("/catalog/r/SCJG-0001/").content.decode()
    form = own.get("/exchange/applications/new/").content.decode()
    assert '<option value="SCJG-0001"' not in form
    assert "由本部门提供" in own.get("/exchange/applications/new/?resource=SCJG-0001").content.decode()
    assert '<option value="SCJG-0001"' in client_as("xzsp_liaison").get("/exchange/applications/new/").content.decode()


def test_a_grant_holder_is_led_to_the_data_not_to_a_new_application(client_as, granted):
    grant = granted(fields=("uscc", "name"))
    page = client_as("xzsp_liaison").get("/catalog/r/SCJG-0001/").content.decode()
    assert f"/exchange/grants/{grant.pk}/data/" in page and "申请使用" not in page


def test_application_list_shows_stage_and_deadline(client_as, resource, apply):
    application = apply(resource)
    step = application.current_step()
    page = client_as("xzsp_liaison").get("/exchange/applications/").content.decode()
    row = page.split(application.number)[1].split("</tr>")[0]
    assert "平台符合性审查" in row and step.deadline.isoformat() in row


def test_approval_attachment_is_a_download_for_those_who_see_the_application(client_as, resource, apply):
    application = apply(resource)
    page = client_as("scjg_reviewer").get(f"/exchange/applications/{application.pk}/").content.decode()
    assert f'href="/exchange/applications/{application.pk}/approval/"' in page
    assert "exchange/approvals/" not in page  # not a storage path
    response = client_as("scjg_reviewer").get(f"/exchange/applications/{application.pk}/approval/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditRecord.objects.filter(action="exchange.application.approval_read").exists()
    assert client_as("fgj_liaison").get(f"/exchange/applications/{application.pk}/approval/").status_code == 404


def test_applications_and_grants_export_to_excel_with_names(client_as, granted):
    granted(fields=("uscc", "name", "legal_rep"))
    client = client_as("xzsp_liaison")
    response = client.get("/exchange/applications/?export=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("申请编号", "资源代码", "资源名称") and len(rows) == 2
    assert rows[1][rows[0].index("申请数据项")] == "统一社会信用代码、企业名称、法定代表人"
    grants = list(load_workbook(io.BytesIO(client.get("/exchange/grants/?export=xlsx").content))
                  .active.iter_rows(values_only=True))
    assert grants[1][grants[0].index("状态")] == "有效" and grants[1][grants[0].index("使用部门")]
    other = list(load_workbook(io.BytesIO(client_as("fgj_liaison").get("/exchange/grants/?export=xlsx").content))
                 .active.iter_rows(values_only=True))
    assert len(other) == 1  # another department's export holds only the headers
    assert AuditRecord.objects.filter(action="export.xlsx", target="共享授权").count() == 2


def test_grant_list_shows_field_names(client_as, granted):
    granted(fields=("uscc", "legal_rep"))
    page = client_as("xzsp_liaison").get("/exchange/grants/").content.decode()
    assert "统一社会信用代码、法定代表人" in page and "uscc、legal_rep" not in page
