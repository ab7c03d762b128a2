"""Bad input never produces a 500: arbitrary queries and arbitrary spreadsheet cells."""

from __future__ import annotations

import io

import openpyxl
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regshare.catalog import services, transfer
from regshare.catalog.models import Resource

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=TEXT)
def test_any_query_is_answered(client_as, query):
    response = client_as("fgj_liaison").get("/api/v1/catalog/resources", {"q": query})
    assert response.status_code == 200


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(st.one_of(TEXT, st.integers(-10**6, 10**6), st.none()), min_size=6, max_size=6),
                      min_size=1, max_size=4))
def test_any_sheet_gives_a_report_or_a_clear_refusal(principal_of_user, cells):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["资源名称", "资源摘要", "信息项", "共享类型", "开放属性", "更新周期"])
    for row in cells:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    before = Resource.objects.count()
    try:
        report = transfer.import_share_list(principal_of_user("scjg_liaison"), buffer.getvalue())
    except ValidationError as exc:
        assert exc.messages
        assert Resource.objects.count() == before
        return
    if not report.ok:
        assert Resource.objects.count() == before
    else:
        assert Resource.objects.count() == before + len(report.created)
    services.search_resources(principal_of_user("scjg_liaison"), "企业")
