"""Credit fills the entity pages of the lower entities app through core.panels, never by being imported."""

from regshare.core import panels
from regshare.credit import panels as credit_panels
from regshare.credit.models import CreditRecord, RiskAssessment
from regshare.entities.models import Entity
from regshare.entities.services import ENTITY_API, ENTITY_LIST, ENTITY_PAGE


def an_entity_with_records():
    return Entity.objects.filter(credit_records__isnull=False, risk__isnull=False).distinct().order_by("id").first()


def test_the_entity_page_shows_credits_panel_and_timeline(district, client_as):
    entity = an_entity_with_records()
    page = client_as("scjg_liaison").get(f"/entities/{entity.uscc}/").content.decode()
    risk = RiskAssessment.objects.get(entity=entity)
    assert "<h2>信用信息</h2>" in page and f"{risk.risk_class}类" in page and "信用报告(PDF)" in page
    record = CreditRecord.objects.filter(entity=entity).first()
    assert page.count(record.doc_no) >= 2  # in the credit panel and on the timeline


def test_the_entity_list_shows_the_risk_column_on_page_and_api(district, client_as):
    entity = an_entity_with_records()
    risk = RiskAssessment.objects.get(entity=entity)
    client = client_as("scjg_liaison")
    page = client.get("/entities/", {"q": entity.uscc}).content.decode()
    assert "信用风险分类" in page and f"{risk.risk_class}类" in page
    [item] = client.get("/api/v1/entities", {"q": entity.uscc}).json()["items"]
    assert item["columns"] == {"risk_class": risk.risk_class}


def test_without_credits_registrations_the_entity_pages_still_stand(district, client_as, monkeypatch):
    entity = an_entity_with_records()
    monkeypatch.setattr(panels, "_PANELS", {k: v for k, v in panels._PANELS.items() if k != ENTITY_PAGE})
    monkeypatch.setattr(panels, "_DATA", {k: v for k, v in panels._DATA.items() if k not in (ENTITY_PAGE, ENTITY_API)})
    monkeypatch.setattr(panels, "_COLUMNS", {k: v for k, v in panels._COLUMNS.items() if k != ENTITY_LIST})
    client = client_as("scjg_liaison")
    page = client.get(f"/entities/{entity.uscc}/").content.decode()
    assert entity.name in page and "<h2>信用信息</h2>" not in page and "信用风险分类" not in page
    data = client.get(f"/api/v1/entities/{entity.uscc}").json()
    assert data["risk"] is None and data["lists"] == [] and data["credit_records"] == []
    assert {event["kind"] for event in data["timeline"]} == {"registration"}
    assert credit_panels.entity_panel not in [fn for _, fn in panels._PANELS.get(ENTITY_PAGE, [])]
