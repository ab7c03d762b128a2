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
