"""Indicators as of a day, from small hand-made tables: windows, point-in-time cuts, clusters, links; the same
bodies on every query engine (``query_engine``)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from regshare.risk import indicators
from regshare.risk.sources import SCHEMAS, area_of

TODAY = dt.date(2025, 3, 10)


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def tables(**given) -> dict[str, pa.Table]:
    out = {name: schema.empty_table() for name, schema in SCHEMAS.items()}
    for name, rows in given.items():
        out[name] = pa.Table.from_pylist(rows, schema=SCHEMAS[name])
    return out


def entity(pk: int, **extra) -> dict:
    established = extra.pop("established", days_ago(1000))
    return {"entity_id": pk, "uscc": f"U{pk}", "name": f"企业{pk}", "industry": "F5211", "area": "", "legal_rep": f"法人{pk}",
            "legal_rep_id": f"ID{pk}", "phone": f"1390000{pk:04d}", "address": f"地址{pk}", "established": established,
            "established_n": (established - dt.date(1970, 1, 1)).days, **extra}


def values(result: pa.Table, pk: int) -> dict:
    return next(row for row in result.to_pylist() if row["entity_id"] == pk)


def test_complaint_windows_count_only_the_days_before_the_evaluation_day(query_engine):
    data = tables(entities=[entity(1), entity(2)], complaints=[
        {"entity_id": 1, "day": days_ago(0), "food": True}, {"entity_id": 1, "day": days_ago(29), "food": True},
        {"entity_id": 1, "day": days_ago(30), "food": False}, {"entity_id": 1, "day": days_ago(89), "food": False},
        {"entity_id": 1, "day": days_ago(200), "food": True}, {"entity_id": 1, "day": days_ago(400), "food": True},
        {"entity_id": 1, "day": TODAY + dt.timedelta(days=1), "food": True}])
    one = values(indicators.compute(data, TODAY), 1)
    assert (one["complaints_30d"], one["complaints_90d"], one["complaints_365d"], one["food_complaints_30d"]) == \
        (2, 4, 5, 2)
    assert values(indicators.compute(data, TODAY), 2)["complaints_365d"] == 0


def test_records_lists_licences_and_changes_of_the_legal_representative(query_engine):
    data = tables(
        entities=[entity(1, legal_rep="张三", address="新地址")],
        credit_records=[
            {"entity_id": 1, "kind": "penalty", "severity": "serious", "outcome": "", "day": days_ago(100),
             "raw_legal_rep": "李四", "raw_address": "旧地址"},
            {"entity_id": 1, "kind": "penalty", "severity": "general", "outcome": "", "day": days_ago(1200),
             "raw_legal_rep": "王五", "raw_address": "旧地址"},
            {"entity_id": 1, "kind": "inspection", "severity": "", "outcome": "failed", "day": days_ago(10),
             "raw_legal_rep": "张三", "raw_address": "新地址"},
            {"entity_id": 1, "kind": "inspection", "severity": "", "outcome": "passed", "day": days_ago(10),
             "raw_legal_rep": "", "raw_address": ""}],
        list_entries=[
            {"entity_id": 1, "list_type": "abnormal", "cause": "annual_report", "listed_on": days_ago(300),
             "removed_on": None},
            {"entity_id": 1, "list_type": "abnormal", "cause": "unreachable", "listed_on": days_ago(500),
             "removed_on": days_ago(5)},
            {"entity_id": 1, "list_type": "red", "cause": "honour", "listed_on": days_ago(50), "removed_on": None}],
        licences=[{"uscc": "U1", "license_name": "食品经营许可", "valid_to": days_ago(20)},
                  {"uscc": "U1", "license_name": "排污许可", "valid_to": days_ago(20)},
                  {"uscc": "U1", "license_name": "排污许可", "valid_to": TODAY + dt.timedelta(days=300)}])
    one = values(indicators.compute(data, TODAY), 1)
    assert one["penalties_3y"] == 1 and one["serious_penalties_3y"] == 1
    assert one["failed_inspections_3y"] == 1
    assert one["list_entries"] == 1  # the removed entry and the red list do not count
    assert one["missed_reports_3y"] == 1
    assert one["expired_licences"] == 1  # 排污许可 was renewed
    assert one["legal_rep_changes_3y"] == 1 and one["address_changes_3y"] == 1  # 王五 is older than three years
    # a year earlier the list entry of 300 days ago did not exist, the removed one was still in force
    earlier = values(indicators.compute(data, days_ago(365)), 1)
    assert earlier["list_entries"] == 1
    assert (earlier["penalties_3y"], earlier["serious_penalties_3y"]) == (1, 0)  # 王五's, not yet the serious one


def test_clusters_links_and_age_as_of_the_day(query_engine):
    data = tables(
        entities=[entity(1, address="大厦1室", phone="13900000000"), entity(2, address="大厦1室"),
                  entity(3, address="大厦1室", established=TODAY + dt.timedelta(days=5)),
                  entity(4, legal_rep_id="ID2", established=days_ago(365))],
        list_entries=[{"entity_id": 2, "list_type": "serious", "cause": "serious_violation",
                       "listed_on": days_ago(3), "removed_on": None}])
    result = indicators.compute(data, TODAY)
    assert [row["entity_id"] for row in result.to_pylist()] == [1, 2, 4]  # 3 is not registered yet
    assert values(result, 1)["address_cluster"] == 2
    assert values(result, 1)["listed_links"] == 1  # same address as listed entity 2
    assert values(result, 4)["listed_links"] == 1  # same legal representative as entity 2
    assert values(result, 2)["listed_links"] == 0  # itself is not a link
    assert values(result, 4)["age_years"] == 1.0  # 365 days, to a tenth of a year


def test_labels_take_the_year_after_the_cut_and_confirmed_alert_feedback(query_engine):
    data = tables(
        entities=[entity(1), entity(2), entity(3), entity(4)],
        credit_records=[{"entity_id": 1, "kind": "penalty", "severity": "general", "outcome": "", "day": TODAY +
                         dt.timedelta(days=100), "raw_legal_rep": "", "raw_address": ""},
                        {"entity_id": 2, "kind": "penalty", "severity": "simple", "outcome": "", "day": TODAY +
                         dt.timedelta(days=100), "raw_legal_rep": "", "raw_address": ""}],
        feedback=[{"entity_id": 3, "day": TODAY + dt.timedelta(days=10), "confirmed": True},
                  {"entity_id": 4, "day": TODAY + dt.timedelta(days=10), "confirmed": False}])
    table, from_feedback = indicators.labels(data, TODAY)
    assert table.column("label").to_pylist() == [1, 0, 1, 0]
    assert from_feedback == 1


def test_descriptions_and_areas_are_in_chinese():
    assert indicators.describe("complaints_30d", 3.0) == "近30日投诉举报3件"
    assert indicators.describe("age_years", 0.42) == "成立年限0.4年"
    assert area_of("江西省九江市柴桑区沙河街道金桂路188号") == "沙河街道"
    assert area_of("江西省九江市柴桑区城子镇建设路10号") == "城子镇"
