"""The catalog API: pagination, search, CRUD, review, import/export, DCAT; bad input gives 400 and changes nothing."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db.models import Q

from regshare.catalog.models import Resource, Status
from regshare.core.models import AuditRecord

BASE = "/api/v1/catalog"


@pytest.fixture
def liaison(client_as):
    return client_as("scjg_liaison")


def test_list_is_paginated(client_as):
    client = client_as("fgj_liaison")
    first = client.get(f"{BASE}/resources").json()
    visible = Resource.objects.filter(Q(status=Status.PUBLISHED) | Q(provider__code="360404-FGJ")).count()
    assert first["count"] == visible and len(first["items"]) == 20
    third = client.get(f"{BASE}/resources", {"page": 3}).json()
    seen = {i["code"] for i in first["items"]} | {i["code"] for i in third["items"]}
    assert len(seen) == len(first["items"]) + len(third["items"])


def test_search_endpoint_ranks_and_filters(client_as):
    client = client_as("fgj_liaison")
    body = client.get(f"{BASE}/search", {"q": "企业 登记"}).json()
    assert body["items"][0]["code"] == "SCJG-0001" and body["items"][0]["score"] > 0
    body = client.get(f"{BASE}/search", {"q": "行政处罚", "provider": "360404-STHJ"}).json()
    assert [i["code"] for i in body["items"]] == ["STHJ-0001"]
    bad = client.get(f"{BASE}/search", {"q": "企业", "grade": "topsecret"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"


def test_detail_shows_schema_and_consumers(client_as):
    body = client_as("fgj_liaison").get(f"{BASE}/resources/SWJ-0001").json()
    assert body["fields"][0]["code_name"] == "uscc"
    assert set(body["consumers"]) >= {"360404-SCJG", "360404-FGJ"}
    assert client_as("fgj_liaison").get(f"{BASE}/resources/SCJG-0012").status_code == 404  # another's draft


def test_create_update_submit_and_publish(liaison, client_as):
    payload = {"name": "网络交易监测信息", "summary": "网店监测", "share_type": "conditional", "open_type": "closed",
               "fields": [{"name": "统一社会信用代码", "code_name": "uscc", "tag": "uscc", "is_key": True},
                          {"name": "网店名称", "code_name": "shop_name"}]}
    created = liaison.post(f"{BASE}/resources", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    assert code.startswith("SCJG-") and created.json()["status"] == "draft"
    patched = liaison.patch(f"{BASE}/resources/{code}", {"summary": "网络交易平台经营者监测"},
                            content_type="application/json")
    assert patched.json()["summary"] == "网络交易平台经营者监测"
    assert liaison.post(f"{BASE}/resources/{code}/submit").status_code == 200
    refused = liaison.post(f"{BASE}/resources/{code}/publish", {}, content_type="application/json")
    assert refused.status_code == 403
    published = client_as("sjj_reviewer").post(f"{BASE}/resources/{code}/publish", {"note": "通过"},
                                               content_type="application/json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    versions = client_as("sjj_reviewer").get(f"{BASE}/resources/{code}/versions").json()
    assert versions["count"] == 1
    assert [f["code_name"] for f in versions["items"][0]["fields"]] == ["uscc", "shop_name"]
    assert versions["items"][0]["metadata"]["summary"] == "网络交易平台经营者监测"


def test_rule_violation_is_400_and_changes_nothing(liaison):
    before = (Resource.objects.count(), AuditRecord.objects.count())
    response = liaison.post(f"{BASE}/resources", {"name": "x", "share_type": "none", "open_type": "closed",
                                                  "fields": [{"name": "a", "code_name": "a"}]},
                            content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "legal_basis_required",
                               "message": "不予共享的数据资源须写明不予共享的法律、法规或政策依据"}
    assert (Resource.objects.count(), AuditRecord.objects.count()) == before


def test_retire_api(liaison):
    response = liaison.post(f"{BASE}/resources/SCJG-0009/retire", {"reason": "合并", "successor": "SCJG-0011"},
                            content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "published" and response.json()["successor"] == "SCJG-0011"


def test_viewer_cannot_create(client_as):
    response = client_as("fgj_analyst").post(f"{BASE}/resources", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_demands_api(client_as):
    client = client_as("fgj_liaison")
    created = client.post(f"{BASE}/demands", {"title": "企业行政处罚信息", "provider": "360404-SCJG"},
                          content_type="application/json")
    assert created.status_code == 201
    assert created.json()["suggestions"][0]["code"] == "SCJG-0002"
    listed = client.get(f"{BASE}/demands", {"status": "open"}).json()
    assert listed["count"] == 1
    matched = client.post(f"{BASE}/demands/{created.json()['id']}/match", {"resource": "SCJG-0002"},
                          content_type="application/json")
    assert matched.json()["status"] == "matched"


def test_obligations_api(client_as):
    client = client_as("scjg_liaison")
    created = client.post(f"{BASE}/obligations", {"reason": "duty", "description": "职能调整",
                                                  "changed_on": "2026-03-02"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["due_date"] == "2026-03-23"
    assert client.get(f"{BASE}/obligations", {"open_only": True}).json()["count"] == 1


def test_export_import_and_dcat(client_as):
    client = client_as("scjg_liaison")
    exported = client.get(f"{BASE}/export/share-list.xlsx", {"provider": "360404-SCJG"})
    assert exported.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    assert sheet["A1"].value == "政务数据共享清单" and sheet["B2"].value == "资源代码"
    codes = {row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert "SCJG-0001" in codes and "SWJ-0001" not in codes

    upload = io.BytesIO(exported.content)
    upload.name = "share-list.xlsx"
    report = client.post(f"{BASE}/import/share-list", {"file": upload}).json()
    assert report["ok"] is True, report["errors"]
    assert "SCJG-0001" in report["updated"]

    dcat = client.get(f"{BASE}/dcat.jsonld")
    assert dcat["Content-Type"].startswith("application/ld+json")
    assert any(d["dct:identifier"] == "SCJG-0001" for d in dcat.json()["dcat:dataset"])


@pytest.mark.parametrize("params, status", [({"year": 2026, "month": 3}, 200), ({"year": 2026, "month": 0}, 400),
                                            ({"year": 2026}, 422)])
def test_review_form_endpoint(liaison, params, status):
    response = liaison.get(f"{BASE}/export/review-form.xlsx", params)
    assert response.status_code == status


def test_system_token_reads_the_catalog_but_cannot_write_without_scope(client, principal_of_user):
    from regshare.core import services as core_services
    from regshare.core.models import Department

    issued = core_services.issue_token(principal_of_user("fgj_admin"), department=Department.objects.get(
        code="360404-FGJ"), name="发改业务系统", scopes=["catalog.view"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    found = client.get(f"{BASE}/search", {"q": "纳税信用"}, **headers)
    assert found.status_code == 200 and found.json()["items"][0]["code"] == "SWJ-0001"
    refused = client.post(f"{BASE}/resources", {"name": "x"}, content_type="application/json", **headers)
    assert refused.status_code == 403
