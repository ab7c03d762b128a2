"""The model on a small synthetic register with planted risk: time-based split, hold-out figures, reasons
that add up to the score, and a lead over the rules alone."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from regshare.risk import graph, indicators, scoring, synthetic

TODAY = dt.date(2026, 5, 20)


@pytest.fixture(scope="module")
def planted():
    return synthetic.generate(1500, TODAY, seed=3)


@pytest.fixture(scope="module")
def trained(planted):
    return scoring.train(planted.tables, TODAY, rounds=80)


def test_time_based_split_and_hold_out_figures(trained):
    assert trained.train_cut == TODAY - dt.timedelta(days=730)
    assert trained.holdout_cut == TODAY - dt.timedelta(days=365)
    assert trained.train_rows > 1000 and trained.holdout_rows > trained.train_rows - 50
    assert trained.auc > 0.7 and 0 < trained.ks <= 1
    assert set(trained.precision_at_k) == {"10", "50", "100"}
    assert trained.precision_at_k["10"] > trained.positive_rate


def test_future_labels_are_ranked_above_the_rules_alone(planted, trained):
    ids, x = scoring.matrix(indicators.compute(planted.tables, TODAY))
    probability, contributions = scoring.predict(trained.booster, x)
    y = indicators.labels(planted.tables, TODAY)[0].column("label").to_numpy()
    model_auc, _ = scoring.auc_ks(y, probability)
    rules = [("food_complaints_30d", 3), ("complaints_90d", 5), ("serious_penalties_3y", 1),
             ("failed_inspections_3y", 2), ("address_cluster", 10), ("listed_links", 2)]
    baseline = scoring.rules_only_score(x, rules, [2, 2, 3, 2, 2, 2])
    rules_auc, _ = scoring.auc_ks(y, baseline)
    assert model_auc > rules_auc
    assert scoring.precision_at(y, probability, 50) >= scoring.precision_at(y, baseline, 50)
    # contributions are exact: base value plus contributions is the raw score of every entity
    raw = trained.booster.predict(x, raw_score=True)
    full = trained.booster.predict(x, pred_contrib=True)
    assert np.allclose(full.sum(axis=1), raw)
    top = int(np.argmax(probability))
    reasons = scoring.reasons(x[top], contributions[top])
    assert reasons and all(r["contribution"] > 0 for r in reasons)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["text"]) for r in reasons)
    assert [r["contribution"] for r in reasons] == sorted((r["contribution"] for r in reasons), reverse=True)


def test_levels_follow_the_probability_limits():
    assert scoring.levels(np.array([0.01, 0.1, 0.2, 0.9])).tolist() == ["A", "B", "C", "D"]
    assert scoring.levels(np.array([0.1]), {"A": 0.2}).tolist() == ["A"]


def test_without_positive_labels_training_is_refused():
    empty = {name: schema.empty_table() for name, schema in synthetic.SCHEMAS.items()}
    empty["entities"] = synthetic.generate(30, TODAY).tables["entities"]
    with pytest.raises(ValueError, match="无法训练"):
        scoring.train(empty, TODAY, rounds=5)


def test_graph_hops_from_listed_entities_and_hub_values_are_not_walked():
    def entity(pk: int, rep: str, address: str, phone: str) -> dict:
        return {"entity_id": pk, "uscc": f"U{pk}", "name": "", "industry": "", "area": "", "legal_rep": "",
                "legal_rep_id": rep, "phone": phone, "address": address, "established": None, "established_n": None}

    rows = [entity(1, "A", "x1", "p1"), entity(2, "A", "x2", "p2"), entity(3, "B", "x2", "p3"),
            entity(4, "C", "x4", "p3"), entity(5, "D", "x5", "p5")]
    rows += [entity(10 + i, f"H{i}", "中心", f"h{i}") for i in range(4)] + [entity(20, "E", "中心", "p20")]
    table = pa.Table.from_pylist(rows, schema=synthetic.SCHEMAS["entities"])
    network = graph.build(table, max_shared=4)
    listed = network.ids == 1
    assert graph.hops_to(network, listed, 3).tolist()[:5] == [0, 1, 2, 3, -1]
    assert graph.hops_to(network, listed, 2).tolist()[3] == -1
    # five entities share "中心": more than max_shared, a dense cluster not walked through
    assert network.cluster[network.ids == 20][0] == 5
    assert graph.hops_to(network, network.ids == 10, 2)[network.ids == 20][0] == -1
