"""Putting an entity on a list and taking it off are decisions of the listing department: a role without
``credit.manage`` or another department is refused on the page and the API, and nothing changes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from regshare.core.models import AuditRecord, Department
from regshare.credit import services
from regshare.credit.models import ListCause, ListEntry, ListType
from regshare.entities.models import Entity

pytestmark = pytest.mark.django_db

LISTED_ON = dt.date(2025, 3, 1)


@pytest.fixture
def entity(district):
    return Entity.objects.order_by("pk").first()


@pytest.fixture
def entry(entity, principal_of_user):
    return services.add_to_list(principal_of_user("scjg_liaison"), entity, ListType.ABNORMAL,
                                ListCause.UNREACHABLE, "柴市监异〔2025〕T1号", Department.objects.get(code__endswith="-SCJG"),
                                LISTED_ON)


def _add_payload(entity: Entity, decision_no: str) -> dict:
    return {"uscc": entity.uscc, "list_type": ListType.ABNORMAL, "cause": ListCause.UNREACHABLE,
            "decision_no": decision_no, "listed_on": "2025-04-01", "cause_text": "无法联系"}


def _post_json(client, url: str, payload: dict):
    return client.post(url, json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize("username", ["scjg_reviewer", "fgj_analyst"])
def test_a_role_without_the_permission_cannot_list_on_the_page_or_the_api(client_as, entity, username):
    before = AuditRecord.objects.filter(action="credit.listed").count()
    client = client_as(username)
    page = client.post("/credit/lists/add/", _add_payload(entity, "柴市监异〔2025〕P1号"))
    api = _post_json(client, "/api/v1/credit/lists", _add_payload(entity, "柴市监异〔2025〕A1号"))
    assert page.status_code == 403 and api.status_code == 403
    assert not ListEntry.objects.filter(entity=entity).exists()
    assert AuditRecord.objects.filter(action="credit.listed").count() == before


@pytest.mark.parametrize("username", ["scjg_reviewer", "fgj_liaison"])
def test_a_role_without_the_permission_or_another_department_cannot_remove(client_as, entry, username):
    client = client_as(username)
    page = client.post(f"/credit/lists/{entry.pk}/remove/", {"removed_on": "2025-05-01", "reason": "已恢复联系"})
    api = _post_json(client, f"/api/v1/credit/lists/{entry.pk}/remove", {"removed_on": "2025-05-01",
                                                                         "reason": "已恢复联系"})
    assert page.status_code == 403 and api.status_code == 403
    entry.refresh_from_db()
    assert entry.removed_on is None and entry.removal_reason == ""
    assert not AuditRecord.objects.filter(action="credit.removed_from_list", target=f"credit.listentry:{entry.pk}").exists()


def test_the_listing_department_lists_on_the_api_and_removes_on_the_page(client_as, entity):
    client = client_as("scjg_liaison")
    response = _post_json(client, "/api/v1/credit/lists", _add_payload(entity, "柴市监异〔2025〕A2号"))
    assert response.status_code == 200, response.content
    listed = ListEntry.objects.get(decision_no="柴市监异〔2025〕A2号")
    assert listed.entity == entity and listed.department.code.endswith("-SCJG")
    assert AuditRecord.objects.filter(action="credit.listed", target=f"credit.listentry:{listed.pk}",
                                      actor="user:scjg_liaison").exists()

    page = client.post(f"/credit/lists/{listed.pk}/remove/", {"removed_on": "2025-05-06", "reason": "已恢复联系"})
    assert page.status_code == 302
    listed.refresh_from_db()
    assert listed.removed_on == dt.date(2025, 5, 6) and listed.removal_reason == "已恢复联系"
    assert AuditRecord.objects.filter(action="credit.removed_from_list", target=f"credit.listentry:{listed.pk}").exists()


def test_removal_before_the_listing_date_is_refused_with_a_message(client_as, entry):
    response = client_as("scjg_liaison").post(f"/credit/lists/{entry.pk}/remove/",
                                              {"removed_on": "2025-02-01", "reason": "已恢复联系"}, follow=True)
    assert "移出日期不能早于列入日期" in response.content.decode()
    entry.refresh_from_db()
    assert entry.removed_on is None


def test_a_malformed_date_on_the_api_is_refused_without_a_change(client_as, entry):
    response = _post_json(client_as("scjg_liaison"), f"/api/v1/credit/lists/{entry.pk}/remove",
                          {"removed_on": "五月一日", "reason": "已恢复联系"})
    assert response.status_code == 422
    entry.refresh_from_db()
    assert entry.removed_on is None
