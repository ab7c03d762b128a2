"""Excel exports of the credit lists, 双公示 and the entity register: the rows of the filtered list,
Chinese headers, no personal field of a record, the export audited."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from regshare.core.models import AuditRecord
from regshare.credit.models import CreditRecord, ListEntry, ListType
from regshare.entities.models import Entity


def _rows(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:300]
    return list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))


def test_credit_list_export_follows_the_filter(district, client_as):
    client = client_as("scjg_liaison")
    rows = _rows(client.get("/credit/lists/?list_type=abnormal&export=xlsx"))
    assert rows[0][:3] == ("名单", "统一社会信用代码", "市场主体")
    assert len(rows) - 1 == ListEntry.objects.filter(list_type=ListType.ABNORMAL).count() > 0
    assert {r[0] for r in rows[1:]} == {"经营异常名录"}
    assert AuditRecord.objects.filter(action="export.xlsx", target="信用名单").exists()


def test_publicity_export_leaves_out_personal_fields(district, client_as):
    rows = _rows(client_as("scjg_liaison").get("/credit/publicity/?export=xlsx"))
    assert "文书号" in rows[0] and "公示状态" in rows[0]
    assert len(rows) > 1
    names = set(CreditRecord.objects.exclude(raw_legal_rep="").values_list("raw_legal_rep", flat=True)[:200])
    assert not names & {cell for row in rows[1:] for cell in row}


def test_entity_export_holds_the_list_and_the_added_columns(district, client_as):
    client = client_as("scjg_liaison")
    page_columns = client.get("/entities/").content.decode()
    rows = _rows(client.get("/entities/?export=xlsx"))
    assert rows[0][:2] == ("统一社会信用代码", "企业名称")
    assert len(rows) - 1 == Entity.objects.count()
    shown = re.findall(r"<th>([^<]+)</th>", page_columns.split("<thead>")[1].split("</thead>")[0])
    assert set(shown) <= set(rows[0]) and len(shown) > 4  # every column of the page, the risk class included
    legal_reps = set(Entity.objects.values_list("legal_rep", flat=True)[:200])
    assert not legal_reps & {cell for row in rows[1:] for cell in row}


def test_report_download_tells_the_page_it_is_ready(district, client_as):
    uscc = Entity.objects.order_by("uscc").values_list("uscc", flat=True).first()
    client = client_as("scjg_liaison")
    panel = client.get(f"/entities/{uscc}/").content.decode()
    assert 'data-busy-text="正在生成信用报告(Word)"' in panel
    response = client.get(f"/credit/report/{uscc}.docx?progress=abc123def456")
    assert response.status_code == 200 and response.cookies["regshare_ready_abc123def456"].value == "1"
    refused = client.get(f"/credit/report/{uscc}.docx?progress=<script>")
    assert not [name for name in refused.cookies if name.startswith("regshare_ready_")]
