"""Every grant is applied on its own: a value is clear only when ONE grant allows both the field in clear
and the row; several grants of one department never combine into more than either allows."""

from __future__ import annotations

import datetime as dt

import pytest

from regshare.core.models import AuditRecord, Department
from regshare.exchange.access import CLEAR, MASKED, field_visibility, secure_table
from regshare.exchange.models import Grant
from regshare.exchange.services import access_scope

from .conftest import registry_table

ROWS_URL = "/api/v1/resources/SCJG-0001/rows"
# In the registry table odd rows are industry C13 (district 甲 in the brief's words), even rows F52 (乙).
C13_ROW, F52_ROW = 17, 16


def grant(resource, *, fields, clear=(), row_filter=None, consumer="XZSP") -> Grant:
    return Grant.objects.create(
        resource=resource, consumer=Department.objects.get(code__endswith=consumer), fields=list(fields),
        clear_fields=list(clear), row_filter=row_filter or {}, purpose="企业开办审批核验",
        starts_on=dt.date(2020, 1, 1), expires_on=dt.date(2099, 12, 31))


@pytest.fixture
def two_grants(resource):
    """Grant A: ID card in clear and the capital, C13 rows only. Grant B: ID card masked, every row."""
    a = grant(resource, fields=("uscc", "legal_rep_id", "capital"), clear=("legal_rep_id",),
              row_filter={"industry": ["C13"]})
    b = grant(resource, fields=("uscc", "legal_rep_id"))
    return a, b


def row(i: int) -> dict:
    return registry_table().slice(i, 1).to_pylist()[0]


def test_field_visibility_takes_each_grant_on_its_own(two_grants, principal_of_user, resource):
    scope = access_scope(principal_of_user("xzsp_liaison"), resource)
    # MASKED means "through the masking function", which leaves untagged fields (uscc, capital) as they are.
    assert field_visibility(scope, row(C13_ROW)) == {"uscc": MASKED, "legal_rep_id": CLEAR, "capital": MASKED}
    # Grant A allows the ID card in clear but not this row; grant B reaches the row but masks the field,
    # and shows no capital.
    assert field_visibility(scope, row(F52_ROW)) == {"uscc": MASKED, "legal_rep_id": MASKED}


def test_a_row_outside_every_row_filter_shows_nothing(resource, principal_of_user):
    grant(resource, fields=("uscc", "legal_rep_id"), clear=("legal_rep_id",), row_filter={"industry": ["C13"]})
    grant(resource, fields=("uscc", "phone"), row_filter={"status": ["在业"]})
    scope = access_scope(principal_of_user("xzsp_liaison"), resource)
    assert field_visibility(scope, row(16)) == {}  # F52 and 存续: neither grant reaches it
    assert field_visibility(scope, row(3)) == {"uscc": MASKED, "legal_rep_id": CLEAR, "phone": MASKED}  # C13, 在业
    shown = secure_table(registry_table(), scope, scope.tags).to_pylist()
    expected = [i for i in range(30) if i % 2 == 1 or i % 3 == 0]
    assert [r["uscc"] for r in shown] == [f"91360404MA35{i:05d}X" for i in expected]
    by_key = {r["uscc"]: r for r in shown}
    assert by_key["91360404MA3500006X"] == {"uscc": "91360404MA3500006X", "legal_rep_id": None,
                                             "phone": "138****0006"}


def test_query_api_with_two_grants_masks_rows_outside_the_clear_grant(two_grants, client_as):
    rows = client_as("xzsp_liaison").get(ROWS_URL, {"limit": 100}).json()["rows"]
    assert len(rows) == 30
    by_key = {r["uscc"]: r for r in rows}
    assert by_key["91360404MA3500017X"] == {"uscc": "91360404MA3500017X", "legal_rep_id": "360404199001010017",
                                            "capital": 117.0}
    assert by_key["91360404MA3500016X"] == {"uscc": "91360404MA3500016X", "legal_rep_id": "360404********0016",
                                            "capital": None}
    assert not any(r["legal_rep_id"] == "360404199001010016" for r in rows)


def test_download_with_two_grants_masks_rows_outside_the_clear_grant(two_grants, client_as):
    response = client_as("xzsp_liaison").get("/api/v1/resources/SCJG-0001/download", {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "360404199001010017" in text and "360404********0016" in text
    assert "360404199001010016" not in text
    assert AuditRecord.objects.filter(action="exchange.access.download").exists()


def test_row_filters_of_two_grants_are_not_widened_to_every_row(resource, client_as):
    """Two grants limited on different fields once merged into no limit at all."""
    grant(resource, fields=("uscc", "industry", "status"), row_filter={"industry": ["C13"]})
    grant(resource, fields=("uscc", "industry", "status"), row_filter={"status": ["在业"]})
    rows = client_as("xzsp_liaison").get(ROWS_URL, {"limit": 100}).json()["rows"]
    assert rows and all(r["industry"] == "C13" or r["status"] == "在业" for r in rows)
    assert len(rows) == len([i for i in range(30) if i % 2 == 1 or i % 3 == 0])


def test_a_field_masked_by_one_of_the_grants_cannot_be_filtered(two_grants, client_as):
    response = client_as("xzsp_liaison").get(ROWS_URL, {"legal_rep_id__gte": "360404199001010016"})
    assert response.status_code == 400 and response.json()["code"] == "field_masked"
    assert "身份证号" in response.json()["message"]


def test_a_field_only_one_grant_shows_cannot_be_filtered(two_grants, client_as):
    response = client_as("xzsp_liaison").get(ROWS_URL, {"capital__gte": "110"})
    assert response.status_code == 400 and response.json()["code"] == "field_not_granted"


def test_a_correction_shows_the_current_value_as_one_grant_allows(two_grants, resource, principal_of_user):
    from regshare.exchange.services import report_correction

    reporter = principal_of_user("xzsp_liaison")

    def reported(i: int) -> str:
        return report_correction(reporter, resource, {"uscc": f"91360404MA35{i:05d}X"}, "legal_rep_id",
                                 "360404199001019999", "身份证号有误").reported_value

    assert reported(C13_ROW) == "360404199001010017"
    assert reported(F52_ROW) == "360404********0016"


def test_a_correction_cannot_name_a_row_outside_every_grant(resource, principal_of_user):
    from django.core.exceptions import ValidationError

    from regshare.exchange.services import report_correction

    grant(resource, fields=("uscc", "capital"), row_filter={"industry": ["C13"]})
    with pytest.raises(ValidationError) as refused:
        report_correction(principal_of_user("xzsp_liaison"), resource, {"uscc": "91360404MA3500016X"}, "capital",
                          "1", "注册资本有误")
    assert refused.value.code == "row_not_found"


def test_proxy_answers_follow_each_grant_on_its_own(two_grants, principal_of_user, resource):
    from regshare.exchange.proxy import _granted_rows

    scope = access_scope(principal_of_user("xzsp_liaison"), resource)
    provider_rows = [{**row(C13_ROW), "debug": {"sql": "select"}}, row(F52_ROW)]
    shown = _granted_rows(provider_rows, scope)
    assert shown[0] == {"uscc": "91360404MA3500017X", "legal_rep_id": "360404199001010017", "capital": 117.0}
    assert shown[1] == {"uscc": "91360404MA3500016X", "legal_rep_id": "360404********0016"}
