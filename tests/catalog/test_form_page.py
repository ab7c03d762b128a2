"""The resource form: one blank field row and a template the page adds rows from, required fields
marked, the legal-basis label that fits the sharing type."""

from __future__ import annotations

from regshare.catalog.models import Resource, ShareType


def test_form_adds_field_rows_on_the_page_and_marks_required_fields(client_as):
    page = client_as("scjg_liaison").get("/catalog/new/").content.decode()
    assert 'name="fields-TOTAL_FORMS" value="1"' in page
    assert '<template data-formset-template="fields">' in page and 'name="fields-__prefix__-name"' in page
    assert 'data-formset-add="fields"' in page and "regshare/forms.js" in page
    assert '<label for="id_name" class="required">' in page
    assert "<script>" not in page  # the behaviour comes from the static file (CSP)


def test_legal_basis_label_follows_the_share_type(client_as):
    resource = Resource.objects.get(code="SCJG-0001")
    resource.share_type, resource.legal_basis = ShareType.CONDITIONAL, "《政务数据共享管理办法》第九条"
    resource.save(update_fields=["share_type", "legal_basis"])
    page = client_as("scjg_liaison").get("/catalog/r/SCJG-0001/").content.decode()
    assert "<th>共享条件依据</th>" in page and "不予共享依据" not in page
    resource.share_type = ShareType.NONE
    resource.save(update_fields=["share_type"])
    assert "<th>不予共享依据</th>" in client_as("scjg_liaison").get("/catalog/r/SCJG-0001/").content.decode()
