"""``/api/v1/credit/records`` pages in the database: it counts the records and reads one page of them."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from regshare.credit.models import CreditRecord


def _record_reads(queries) -> list[str]:
    return [q["sql"] for q in queries
            if re.search(r'FROM "credit_creditrecord"', q["sql"]) and "COUNT(" not in q["sql"].upper()]


def test_records_reads_only_the_page_it_sends(district, client_as):
    client = client_as("scjg_liaison")
    total = CreditRecord.objects.count()
    assert total > 40
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/credit/records", {"page": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == total and len(body["items"]) == 20
    expected = list(CreditRecord.objects.order_by("-decided_on", "-id").values_list("pk", flat=True)[20:40])
    assert [item["id"] for item in body["items"]] == expected
    reads = _record_reads(queries.captured_queries)
    assert reads and all("LIMIT 20" in sql for sql in reads), reads


def test_late_records_are_paged_in_order(district, client_as):
    client = client_as("scjg_liaison")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/credit/records", {"late": "true"})
    assert response.status_code == 200
    assert all("LIMIT 20" in sql for sql in _record_reads(queries.captured_queries))
    decided = [item["decided_on"] for item in response.json()["items"]]
    assert decided == sorted(decided, reverse=True)
