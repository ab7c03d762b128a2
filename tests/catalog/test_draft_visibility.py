"""Another department's draft resource does not exist for anyone else: page, API, search, quality."""

from __future__ import annotations

import pytest

from regshare.catalog import services
from regshare.catalog.models import Status

DRAFT_NAME = "柴桑区未发布试点登记草稿数据"


@pytest.fixture
def draft(principal_of_user):
    resource = services.create_resource(principal_of_user("scjg_liaison"), {
        "name": DRAFT_NAME, "summary": "尚未发布的草稿", "share_type": "conditional", "open_type": "closed",
        "legal_basis": "", "update_frequency": "monthly", "provision": "file"},
        [{"name": "统一社会信用代码", "code_name": "uscc", "data_type": "string", "is_key": True}])
    assert resource.status == Status.DRAFT
    return resource


@pytest.mark.parametrize("url", [
    "/catalog/r/{code}/",
    "/api/v1/catalog/resources/{code}",
    "/api/v1/catalog/resources/{code}/versions",
    "/ingest/resources/{code}/",
    "/api/v1/ingest/resources/{code}/quality",
])
def test_other_departments_get_404_for_a_draft(client_as, draft, url):
    response = client_as("fgj_analyst").get(url.format(code=draft.code))
    assert response.status_code == 404
    assert DRAFT_NAME not in response.content.decode()


def test_the_owner_and_the_bureau_still_see_the_draft(client_as, draft):
    for username in ("scjg_liaison", "sjj_reviewer"):
        assert client_as(username).get(f"/ingest/resources/{draft.code}/").status_code == 200
        assert client_as(username).get(f"/api/v1/ingest/resources/{draft.code}/quality").status_code == 200


def test_search_and_lists_leave_the_draft_out(client_as, draft):
    client = client_as("fgj_analyst")
    for url, params in (("/api/v1/catalog/search", {"q": DRAFT_NAME}), ("/api/v1/catalog/resources", {})):
        body = client.get(url, params).content.decode()
        assert draft.code not in body and DRAFT_NAME not in body
    assert draft.code not in client.get("/catalog/", {"q": DRAFT_NAME}).content.decode()
    assert draft.code in client_as("scjg_liaison").get("/catalog/", {"q": DRAFT_NAME}).content.decode()
