import io
import re
import zlib

import pytest
from docx import Document

from regshare.core.models import AuditRecord
from regshare.entities.models import Entity


def entity():
    return Entity.objects.filter(credit_records__isnull=False, list_entries__isnull=False).distinct().first()


def test_word_report_opens_and_names_the_entity(district, client_as):
    e = entity()
    response = client_as("scjg_liaison").get(f"/api/v1/credit/reports/{e.uscc}.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    tables = "\n".join(c.text for t in Document(io.BytesIO(response.content)).tables for r in t.rows for c in r.cells)
    assert "市场主体信用报告" in text and e.name in tables and "时间轴" in text
    assert AuditRecord.objects.filter(action="credit.report_exported").exists()


def pdf_page_count(content: bytes) -> int:
    """Pages of a PDF whose objects may sit in compressed object streams."""
    text = content
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            text += zlib.decompress(raw)
        except zlib.error:
            continue
    return len(re.findall(rb"/Type\s*/Page(?!s)", text))


def test_pdf_report_has_pages(district, client_as):
    e = entity()
    response = client_as("scjg_liaison").get(f"/credit/report/{e.uscc}.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert pdf_page_count(response.content) >= 1


@pytest.mark.parametrize("path, status", [("/api/v1/credit/reports/{u}.xls", 400),
                                          ("/api/v1/credit/reports/123.pdf", 400)])
def test_bad_report_requests(district, client_as, path, status):
    assert client_as("scjg_liaison").get(path.format(u=entity().uscc)).status_code == status


@pytest.mark.parametrize("a_reaches_the_entity", [False, True])
def test_report_clears_a_field_only_where_one_grant_allows_field_and_row(district, client_as, a_reaches_the_entity):
    """Grant A: legal representative in clear, one industry (甲) only; grant B: masked, every row. For an
    entity of industry 乙 the two grants do not add up to a clear name."""
    import datetime as dt
    import json

    from regshare.catalog.models import Resource
    from regshare.core.models import Department
    from regshare.exchange.masking import mask_value
    from regshare.exchange.models import Grant

    e = entity()
    assert e.legal_rep
    other = Entity.objects.exclude(industry=e.industry).exclude(industry="").values_list("industry", flat=True)[0]
    for clear, row_filter in ((["legal_rep"], {"industry": [e.industry if a_reaches_the_entity else other]}),
                              ([], {})):
        Grant.objects.create(resource=Resource.objects.get(code="SCJG-0001"),
                             consumer=Department.objects.get(code__endswith="FGJ"),
                             fields=["uscc", "name", "legal_rep", "address"], clear_fields=clear,
                             row_filter=row_filter, purpose="信用监管", starts_on=dt.date(2020, 1, 1),
                             expires_on=dt.date(2099, 12, 31))
    response = client_as("fgj_liaison").get(f"/api/v1/credit/reports/{e.uscc}.docx")
    assert response.status_code == 200
    cells = [[c.text for c in r.cells] for t in Document(io.BytesIO(response.content)).tables for r in t.rows]
    shown = next(row[1] for row in cells if row[0] == "法定代表人")
    assert shown == (e.legal_rep if a_reaches_the_entity else mask_value("person_name", e.legal_rep))
    read = AuditRecord.objects.get(action="exchange.access.report", target="resource:SCJG-0001")
    detail = json.loads(read.detail)
    assert detail["entity"] == e.uscc and detail["channel"] == "report" and "legal_rep" in detail["fields"]


def test_report_without_a_grant_shows_no_personal_data(district, client_as):
    e = entity()
    response = client_as("fgj_liaison").get(f"/api/v1/credit/reports/{e.uscc}.docx")
    cells = [[c.text for c in r.cells] for t in Document(io.BytesIO(response.content)).tables for r in t.rows]
    assert next(row[1] for row in cells if row[0] == "法定代表人") == ""
    assert next(row[1] for row in cells if row[0] == "住所") == ""
    assert AuditRecord.objects.filter(action="credit.report_exported").exists()
    assert not AuditRecord.objects.filter(action="exchange.access.report").exists()
