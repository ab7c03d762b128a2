import datetime as dt

from regshare.core.models import Department, User
from regshare.core.permissions import Principal
from regshare.credit import services
from regshare.credit.models import PublicityStatus
from regshare.entities.models import Entity


def scjg_liaison() -> Principal:
    """The penalties below are SCJG's: its liaison publishes them and enters repair applications."""
    return Principal.for_user(User.objects.get(username="scjg_liaison"))


def test_anyone_can_search_and_open_an_entity_with_personal_data_masked(district, client):
    entity = Entity.objects.exclude(legal_rep="").order_by("id").first()
    page = client.get("/portal/credit/", {"q": entity.name}).content.decode()
    assert entity.name in page and f"/portal/credit/{entity.uscc}/" in page
    detail = client.get(f"/portal/credit/{entity.uscc}/").content.decode()
    assert entity.uscc in detail and entity.name in detail
    assert entity.legal_rep not in detail and entity.legal_rep[0] + "*" in detail
    assert entity.phone not in detail and entity.legal_rep_id not in detail


def test_only_published_items_inside_their_period_are_public(district, client):
    entity = Entity.objects.order_by("id")[3]
    dep = Department.objects.get(code__endswith="SCJG")
    pending = services.create_record("test", {
        "kind": "penalty", "doc_no": "柴市监罚〔2026〕P-1号", "raw_uscc": entity.uscc, "raw_name": entity.name,
        "department": dep, "title": "未公示的处罚", "decided_on": dt.date(2026, 10, 9), "severity": "general"})
    published = services.create_record("test", {
        "kind": "penalty", "doc_no": "柴市监罚〔2026〕P-2号", "raw_uscc": entity.uscc, "raw_name": entity.name,
        "department": dep, "title": "已公示的处罚", "decided_on": dt.date(2026, 10, 9), "severity": "general"})
    services.publish(scjg_liaison(), published, dt.date(2026, 10, 12))
    assert pending.publicity == PublicityStatus.PENDING
    detail = client.get(f"/portal/credit/{entity.uscc}/").content.decode()
    assert "柴市监罚〔2026〕P-2号" in detail and "柴市监罚〔2026〕P-1号" not in detail


def test_unknown_or_malformed_codes_are_404(district, client):
    assert client.get("/portal/credit/123/").status_code == 404
