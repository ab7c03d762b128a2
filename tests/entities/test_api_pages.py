import pytest

from regshare.credit.models import CreditRecord
from regshare.entities.models import Entity, EntityLink, LinkStatus


def an_entity_with_records():
    return Entity.objects.filter(credit_records__isnull=False, legal_rep__gt="").distinct().order_by("id").first()


def test_search_api_paginates(district, client_as):
    client = client_as("scjg_liaison")
    data = client.get("/api/v1/entities", {"q": "柴桑", "page": 1}).json()
    assert data["count"] > 20 and len(data["items"]) == 20
    assert all("柴桑" in item["name"] for item in data["items"])


def test_profile_api_hides_personal_data_without_a_grant_and_lists_records(district, client_as):
    """The analyst's department holds no grant on SCJG-0001: the public registration record shows, the
    personal fields do not (not even masked)."""
    entity = an_entity_with_records()
    response = client_as("fgj_analyst").get(f"/api/v1/entities/{entity.uscc}")
    data = response.json()
    assert data["identity"]["name"] == entity.name and data["identity"]["uscc"] == entity.uscc
    assert data["identity"]["status"] == entity.status
    assert all(data["identity"][f] == "" for f in ("legal_rep", "legal_rep_id", "phone", "address"))
    assert entity.legal_rep_id[6:-4] not in response.content.decode()
    doc_nos = {r["doc_no"] for r in data["credit_records"]}
    assert doc_nos == set(CreditRecord.objects.filter(entity=entity).values_list("doc_no", flat=True))
    kinds = {e["kind"] for e in data["timeline"]}
    assert "registration" in kinds
    assert data["risk"]["risk_class"] in "ABCD" and data["risk"]["reasons"]


@pytest.mark.parametrize("uscc, status, code", [
    ("91360404ABC", 400, "invalid_uscc"),
    ("913604040000000000", 400, "invalid_uscc"),
    ("94360404MA35L8K7P7", 400, "invalid_uscc"),  # right check character, no such authority/category pair
    ("91360404MA35L8K7P" + "X", None, None),
])
def test_profile_api_bad_codes(district, client_as, uscc, status, code):
    from regshare.core.codes import is_valid_uscc, make_uscc

    if status is None:  # a well-formed code that is not registered here
        uscc = make_uscc(uscc[:17])
        assert is_valid_uscc(uscc)
        status, code = 404, "not_found"
    response = client_as("scjg_liaison").get(f"/api/v1/entities/{uscc}")
    assert response.status_code == status
    assert response.json()["code"] == code


@pytest.mark.parametrize("username, clear", [("fgj_analyst", False), ("scjg_liaison", True)])
def test_entity_page_masks_as_the_viewers_grant_says(district, client_as, username, clear):
    """The registering department (provider of SCJG-0001) sees its own data in clear; others masked."""
    entity = an_entity_with_records()
    page = client_as(username).get(f"/entities/{entity.uscc}/").content.decode()
    assert entity.name in page and "时间轴" in page and "信用风险分类" in page  # credit's panel
    assert (entity.legal_rep_id in page) is clear


def test_list_page_searches(district, client_as):
    entity = Entity.objects.order_by("id").first()
    page = client_as("scjg_inspector").get("/entities/", {"q": entity.uscc}).content.decode()
    assert entity.name in page


def test_review_queue_page_and_api(district, client_as):
    entity = Entity.objects.order_by("id").first()
    link = EntityLink.objects.create(source="TEST-Q", record_key="k1", entity=entity, raw_name="某名称",
                                     method="probabilistic", status=LinkStatus.CANDIDATE, match_probability=0.7)
    client = client_as("scjg_reviewer")
    assert "某名称" in client.get("/entities/review/", {"q": "TEST-Q"}).content.decode()
    items = client.get("/api/v1/entities/links/candidates", {"q": "TEST-Q"}).json()["items"]
    assert [i["id"] for i in items] == [link.pk]
    response = client.post(f"/api/v1/entities/links/{link.pk}/confirm", {"note": "核实一致"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "linked"
    again = client.post(f"/api/v1/entities/links/{link.pk}/reject", {}, content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "link_already_decided"


def test_review_is_refused_to_an_analyst(district, client_as):
    response = client_as("fgj_analyst").get("/api/v1/entities/links/candidates")
    assert response.status_code == 403


def test_shared_records_from_the_lake_are_grouped_and_masked_by_grant(district, client_as):
    """12345 tickets (CGJ-0001) name companies, often without a code; the profile shows them by resource."""
    from regshare.entities.models import EntityLink

    link = EntityLink.objects.filter(source="CGJ-0001", status=LinkStatus.LINKED).select_related("entity").first()
    assert link is not None, "the demo links code-less 12345 tickets by name and address"
    provider = client_as("cgj_liaison").get(f"/api/v1/entities/{link.entity.uscc}").json()
    group = next(g for g in provider["shared_records"] if g["resource_code"] == "CGJ-0001")
    assert group["granted"] and group["total"] >= 1
    assert any(link.record_key in row for row in group["rows"])
    other = client_as("fgj_analyst").get(f"/api/v1/entities/{link.entity.uscc}").json()
    other_group = next(g for g in other["shared_records"] if g["resource_code"] == "CGJ-0001")
    assert other_group["total"] == group["total"]
    complainant = group["columns"].index("投诉人姓名")
    if other_group["granted"]:
        names = {row[complainant] for row in group["rows"]}
        assert not names & {row[complainant] for row in other_group["rows"]}
    else:
        assert other_group["rows"] == []


def test_review_queue_shows_on_the_reviewers_dashboard(district, principal_of_user):
    from regshare.core.dashboard import pending_for

    entity = Entity.objects.order_by("id").first()
    EntityLink.objects.create(source="TEST-D", record_key="k1", entity=entity, raw_name="某名称",
                              method="probabilistic", status=LinkStatus.CANDIDATE, match_probability=0.5)
    assert any(i.category == "关联待确认" for i in pending_for(principal_of_user("scjg_reviewer")))
    assert not any(i.category == "关联待确认" for i in pending_for(principal_of_user("fgj_analyst")))


@pytest.mark.parametrize("row_filter, expect_rows", [({}, True), ({"satisfaction": ["不存在的值"]}, False)])
def test_a_grant_with_a_row_filter_shows_only_its_rows(district, client_as, row_filter, expect_rows):
    import datetime as dt

    from regshare.catalog.models import Resource
    from regshare.core.models import Department
    from regshare.exchange.models import Grant

    link = EntityLink.objects.filter(source="CGJ-0001", status=LinkStatus.LINKED).select_related("entity").first()
    resource = Resource.objects.get(code="CGJ-0001")
    Grant.objects.create(resource=resource, consumer=Department.objects.get(code__endswith="FGJ"),
                         fields=["ticket_no", "company_name", "complainant", "satisfaction"], clear_fields=[],
                         row_filter=row_filter, purpose="信用监管", starts_on=dt.date(2020, 1, 1),
                         expires_on=dt.date(2030, 12, 31))
    data = client_as("fgj_liaison").get(f"/api/v1/entities/{link.entity.uscc}").json()
    group = next(g for g in data["shared_records"] if g["resource_code"] == "CGJ-0001")
    assert group["granted"] and group["columns"] == ["工单编号", "被投诉对象名称", "投诉人姓名", "满意度"]
    assert bool(group["rows"]) is expect_rows
    if expect_rows:
        assert all(row[2].endswith("*") for row in group["rows"])  # complainant masked: not a clear field


# ---------------------------------------------------------------- every grant on its own

PERSONAL = ("uscc", "name", "legal_rep", "legal_rep_id", "phone", "address")


def grant_to_fgj(code: str, *, fields=PERSONAL, clear=(), row_filter=None):
    import datetime as dt

    from regshare.catalog.models import Resource
    from regshare.core.models import Department
    from regshare.exchange.models import Grant

    return Grant.objects.create(resource=Resource.objects.get(code=code),
                                consumer=Department.objects.get(code__endswith="FGJ"), fields=list(fields),
                                clear_fields=list(clear), row_filter=row_filter or {}, purpose="信用监管",
                                starts_on=dt.date(2020, 1, 1), expires_on=dt.date(2099, 12, 31))


def two_grants_on_the_master(entity, *, a_reaches_the_entity: bool):
    """Grant A: legal representative and ID card in clear, one industry only (甲); grant B: both masked,
    every row. The entity's industry is 乙 unless ``a_reaches_the_entity``."""
    other = Entity.objects.exclude(industry=entity.industry).exclude(industry="").values_list("industry", flat=True)[0]
    grant_to_fgj("SCJG-0001", clear=("legal_rep", "legal_rep_id"),
                 row_filter={"industry": [entity.industry if a_reaches_the_entity else other]})
    grant_to_fgj("SCJG-0001")


def audit_details(action: str, code: str) -> list[dict]:
    import json

    from regshare.core.models import AuditRecord

    return [json.loads(r.detail) for r in AuditRecord.objects.filter(action=action, target=f"resource:{code}")]


@pytest.mark.parametrize("a_reaches_the_entity", [False, True])
def test_two_grants_on_the_page_and_api_clear_only_where_one_grant_allows_field_and_row(
        district, client_as, a_reaches_the_entity):
    from regshare.exchange.masking import mask_value

    entity = an_entity_with_records()
    two_grants_on_the_master(entity, a_reaches_the_entity=a_reaches_the_entity)
    client = client_as("fgj_liaison")
    identity = client.get(f"/api/v1/entities/{entity.uscc}").json()["identity"]
    page = client.get(f"/entities/{entity.uscc}/").content.decode()
    if a_reaches_the_entity:
        assert identity["legal_rep_id"] == entity.legal_rep_id and identity["legal_rep"] == entity.legal_rep
        assert entity.legal_rep_id in page
    else:
        assert identity["legal_rep_id"] == mask_value("id_card", entity.legal_rep_id)
        assert identity["legal_rep"] == mask_value("person_name", entity.legal_rep)
        assert entity.legal_rep_id not in page and mask_value("id_card", entity.legal_rep_id) in page
    assert identity["phone"] == mask_value("mobile", entity.phone)  # clear in neither grant
    for action in ("exchange.access.entity_api", "exchange.access.entity_page"):
        [read] = audit_details(action, "SCJG-0001")
        assert read["entity"] == entity.uscc and read["rows"] == 1 and "legal_rep_id" in read["fields"]
        assert len(read["grants"]) == 2


def test_a_master_row_outside_every_grant_shows_no_personal_data(district, client_as):
    entity = an_entity_with_records()
    other = Entity.objects.exclude(industry=entity.industry).exclude(industry="").values_list("industry", flat=True)[0]
    grant_to_fgj("SCJG-0001", clear=("legal_rep_id",), row_filter={"industry": [other]})
    grant_to_fgj("SCJG-0001", row_filter={"status": ["不存在的状态"]})
    response = client_as("fgj_liaison").get(f"/api/v1/entities/{entity.uscc}")
    identity = response.json()["identity"]
    assert all(identity[f] == "" for f in ("legal_rep", "legal_rep_id", "phone", "address"))
    assert entity.legal_rep_id[6:-4] not in response.content.decode()
    assert identity["name"] == entity.name  # the public registration record still shows
    assert audit_details("exchange.access.entity_api", "SCJG-0001") == []  # nothing of it was read


def test_shared_records_outside_every_grant_show_nothing_and_reads_are_audited(district, client_as):
    link = EntityLink.objects.filter(source="CGJ-0001", status=LinkStatus.LINKED).select_related("entity").first()
    fields = ("ticket_no", "company_name", "complainant", "satisfaction")
    grant_to_fgj("CGJ-0001", fields=fields, clear=("complainant",), row_filter={"satisfaction": ["不存在的值"]})
    grant_to_fgj("CGJ-0001", fields=fields, row_filter={"ticket_no": ["不存在的工单"]})
    client = client_as("fgj_liaison")
    group = next(g for g in client.get(f"/api/v1/entities/{link.entity.uscc}").json()["shared_records"]
                 if g["resource_code"] == "CGJ-0001")
    assert group["granted"] and group["total"] >= 1 and group["rows"] == []
    assert audit_details("exchange.access.entity_api", "CGJ-0001") == []
    # One grant that reaches every row: its rows show, masked, and the read names the entity.
    grant_to_fgj("CGJ-0001", fields=fields)
    group = next(g for g in client.get(f"/api/v1/entities/{link.entity.uscc}").json()["shared_records"]
                 if g["resource_code"] == "CGJ-0001")
    assert len(group["rows"]) == min(group["total"], 50)
    assert all(row[2].endswith("*") for row in group["rows"] if row[2])
    [read] = audit_details("exchange.access.entity_api", "CGJ-0001")
    assert read["entity"] == link.entity.uscc and read["rows"] == len(group["rows"])
