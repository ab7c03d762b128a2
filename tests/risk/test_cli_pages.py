"""Contract of the ``regshare risk`` commands and the risk pages over the demo district with planted risk."""

from __future__ import annotations

import json
import re

import pytest

from regshare import cli

pytestmark = pytest.mark.django_db


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out.strip(), out.err.strip()


def test_commands_print_the_contracted_json(risk_demo, capsys):
    code, out, _ = run(capsys, "risk", "top", "--limit", "5", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 5
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    for row in rows:
        assert set(row) == {"uscc", "name", "score", "level", "reasons"}
        assert row["level"] in "ABCD" and row["reasons"]
        assert all(set(r) == {"text", "contribution"} and isinstance(r["contribution"], float) for r in row["reasons"])

    fourth = risk_demo["person"][3]
    code, out, _ = run(capsys, "risk", "links", fourth, "--hops", "2", "--json")
    links = json.loads(out)
    assert code == 0 and links["uscc"] == fourth
    assert {p[-1]["uscc"] for p in links["paths"]} >= set(risk_demo["person"][:3])
    for path in links["paths"]:
        assert path[0]["uscc"] == fourth
        assert all(len({"uscc", "person", "address", "phone"} & set(step)) == 1 and step["via"] for step in path)

    code, out, _ = run(capsys, "risk", "train", "--date", "2026-11-01", "--json")
    trained = json.loads(out)
    assert code == 0 and trained["version"] == 2
    assert 0.5 < trained["auc"] <= 1 and 0 < trained["ks"] <= 1 and "100" in trained["precision_at_k"]

    code, out, _ = run(capsys, "risk", "score", "--date", "2026-11-01", "--json")
    assert code == 0 and json.loads(out)["model_version"] == 2


def test_commands_refuse_bad_input_in_chinese(risk_demo, capsys):
    code, _, err = run(capsys, "risk", "links", "91360404XXXXXXXXXX", "--json")
    assert code == 2 and "法人库中没有" in err
    code, _, err = run(capsys, "risk", "links", risk_demo["person"][3], "--hops", "9")
    assert code == 2 and "--hops" in err
    code, _, err = run(capsys, "risk", "top", "--limit", "0")
    assert code == 2 and "--limit" in err


def test_pages_show_the_map_the_model_card_and_the_entity_panel(risk_demo, client_as):
    client = client_as("sjj_analyst")
    page = client.get("/risk/map/").content.decode()
    assert 'data-figure="industry-data"' in page and 'data-figure="area-data"' in page
    area = json.loads(re.search(r'<script id="area-data" type="application/json">(.*?)</script>', page).group(1))
    assert "沙河街道" in area["categories"] and [s["name"] for s in area["series"]] == ["平均风险分", "较高及高风险主体数"]
    assert [s["axis"] for s in area["series"]] == [0, 1] and area["second_unit"] == "主体数"  # a count beside a score
    shells = client.get("/risk/map/?q=商贸&level=no-such").content.decode()
    assert "没有符合条件的评分" in shells
    card = client.get("/risk/model/").content.decode()
    assert "当前模型 v1" in card and "近30日投诉举报" in card and "AUC" in card
    fourth = risk_demo["person"][3]
    entity_page = client.get(f"/entities/{fourth}/").content.decode()
    assert "风险预警" in entity_page and "钱多福" in entity_page


def test_rules_are_edited_on_their_page_and_bad_thresholds_change_nothing(demo, client_as):
    from regshare.risk.models import RiskRule

    rule = RiskRule.objects.get(code="R001")
    client = client_as("sjj_analyst")
    data = {"code": "R001", "name": rule.name, "indicator": rule.indicator, "threshold": "-1", "industry_prefix": "",
            "level": "C", "department": "", "active": "on"}
    page = client.post(f"/risk/rules/{rule.pk}/", data).content.decode()
    assert "阈值应大于0" in page
    assert RiskRule.objects.get(pk=rule.pk).threshold == 3
    client.post(f"/risk/rules/{rule.pk}/", {**data, "threshold": "4", "industry_prefix": "H62"})
    rule.refresh_from_db()
    assert (rule.threshold, rule.industry_prefix) == (4, "H62")
    assert client_as("scjg_inspector").post(f"/risk/rules/{rule.pk}/", data).status_code == 403
