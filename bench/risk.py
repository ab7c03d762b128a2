"""Risk benchmark: a register of 1,000,000 entities with planted structure (``regshare.risk.synthetic``: risk
tiers, shell clusters at one address and phone, a person behind several listed entities), generated
column-wise in process as Arrow tables and run through the same code as the platform: indicators through
the query engine, LightGBM with the time-based split, scoring with contributions, the association graph.

Prints one JSON line: indicator, training, scoring and graph times, peak memory (max RSS), AUC and
precision@100 of the model against the planted year after the scoring day, and the same for a rules-only
baseline (the default rules' weighted hits) measured in the same run; precision also at 1,000 and 10,000
(the planted very-high tier is 1 % of the register, so the first hundred of both rankings sit near its ceiling).

    .venv/bin/python bench/risk.py                    # 1,000,000 entities
    .venv/bin/python bench/risk.py --entities 100000  # smaller
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from regshare.risk import graph, indicators, scoring, synthetic  # noqa: E402  (no Django needed)

TODAY = dt.date(2026, 6, 1)
# The default rules (risk/migrations/0002_default_rules.py) and their weights by level (B 1, C 2, D 3).
RULES = [("food_complaints_30d", 3), ("complaints_90d", 5), ("serious_penalties_3y", 1), ("failed_inspections_3y", 2),
         ("address_cluster", 10), ("listed_links", 2), ("expired_licences", 1), ("legal_rep_changes_3y", 2)]
WEIGHTS = [2, 2, 3, 2, 2, 2, 1, 1]


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=scoring.ROUNDS)
    args = parser.parse_args()

    t0 = time.perf_counter()
    planted = synthetic.generate(args.entities, TODAY)
    generate_s = time.perf_counter() - t0
    tables = planted.tables

    t0 = time.perf_counter()
    current = indicators.compute(tables, TODAY, bulk=True)
    indicator_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    trained = scoring.train(tables, TODAY, rounds=args.rounds, bulk=True)
    training_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    ids, x = scoring.matrix(current)
    probability, contributions = scoring.predict(trained.booster, x)
    levels = scoring.levels(probability)
    reason_columns = scoring.top_features(contributions)  # every entity's top three reasons
    top = np.argsort(-probability, kind="stable")[:100]
    reasons = [scoring.reasons(x[i], contributions[i]) for i in top]  # in words for the first page
    scoring_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    network = graph.build(tables["entities"])
    listed_ids = indicators_listed(tables)
    distance = graph.hops_to(network, np.isin(network.ids, listed_ids), 2)
    graph_s = time.perf_counter() - t0

    truth = indicators.labels(tables, TODAY, bulk=True)[0].column("label").to_numpy()
    auc, ks = scoring.auc_ks(truth, probability)
    baseline = scoring.rules_only_score(x, RULES, WEIGHTS)
    rules_auc, rules_ks = scoring.auc_ks(truth, baseline)
    print(json.dumps({
        "bench": "risk", "entities": args.entities, "generate_s": round(generate_s, 2),
        "indicators_s": round(indicator_s, 2), "training_s": round(training_s, 2), "scoring_s": round(scoring_s, 2),
        "indicators_plus_scoring_s": round(indicator_s + scoring_s, 2), "graph_s": round(graph_s, 2),
        "peak_rss_mb": peak_mb(),
        "model": {"auc": round(auc, 4), "ks": round(ks, 4), "precision_at_100": scoring.precision_at(truth, probability, 100),
                  "precision_at_1000": scoring.precision_at(truth, probability, 1000),
                  "precision_at_10000": scoring.precision_at(truth, probability, 10000),
                  "holdout_auc": round(trained.auc, 4), "holdout_precision_at_100": trained.precision_at_k["100"]},
        "rules_only": {"auc": round(rules_auc, 4), "ks": round(rules_ks, 4),
                       "precision_at_100": scoring.precision_at(truth, baseline, 100),
                       "precision_at_1000": scoring.precision_at(truth, baseline, 1000),
                       "precision_at_10000": scoring.precision_at(truth, baseline, 10000)},
        "positive_rate": round(float(truth.mean()), 4), "level_D": int((levels == "D").sum()),
        "within_2_hops_of_listed": int(((distance > 0) & (distance <= 2)).sum()),
        # the unlisted entity of each person network is one hop from its listed siblings
        "person_linked_found": float((distance[planted.person_linked & (distance != 0)] == 1).mean()),
        "reason_columns": int(reason_columns.shape[1]),
        "shell_in_dense_cluster": float((network.cluster[planted.shell] >= graph.DENSE_CLUSTER).mean()),
        "top_reason_example": reasons[0][0]["text"] if reasons and reasons[0] else "",
    }, ensure_ascii=False))


def indicators_listed(tables: dict) -> np.ndarray:
    """Entities on a list on the scoring day (the graph's sources), read with the engine like the indicators."""
    from regshare.lake import engine

    with engine.session(tables={"list_entries": tables["list_entries"], "params": indicators.params(TODAY)}) as s:
        found = s.table("SELECT DISTINCT l.entity_id FROM list_entries l CROSS JOIN params p WHERE l.list_type <> 'red' "
                        "AND l.listed_on <= p.today AND (l.removed_on IS NULL OR l.removed_on > p.today)")
    return found.column("entity_id").to_numpy()


if __name__ == "__main__":
    main()
