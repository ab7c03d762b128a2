"""Draw benchmark (sha256-rank-v1): a pool of 1,000,000 objects in four credit-risk strata, 2,000 inspectors
in 20 departments (area-bound and district-wide) with 20,000 declared conflicts and last-inspection
avoidance for 100,000 objects; one joint task of two departments draws about 30,000 objects by the strata's
ratios plus a random control group of 1 % of the pool (extension control-v1). The pool is sorted by code, as the
platform reads it from the entity master (`services.build_pool` orders by credit code).

Prints one JSON line: draw time, peak memory (max RSS), the invariants (recomputation equal, ≥ 2 distinct
eligible inspectors per object, ratios honoured) and the ratio against a baseline measured in the same run:
hashing every pool code once with hashlib (the least any implementation of the definition must do).

    .venv/bin/python bench/draw.py                 # 1,000,000 objects
    .venv/bin/python bench/draw.py --pool 100000   # smaller
    .venv/bin/python bench/draw.py --control 0     # without the control group
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from regshare.supervision import draw as d  # noqa: E402  (pure module: no Django needed)

AREAS = [f"3604{n:02d}" for n in range(2, 32, 3)]  # ten county/district codes
STRATA = (("A", 0.40, "0.02"), ("B", 0.35, "0.03"), ("C", 0.20, "0.04"), ("D", 0.05, "0.06"))


def build(pool_size: int, rng: random.Random):
    pool = []
    weights = [w for _, w, _ in STRATA]
    names = [s for s, _, _ in STRATA]
    for n in range(pool_size):
        area = AREAS[n % len(AREAS)]
        pool.append((f"91{area}MA{n:08X}", rng.choices(names, weights)[0]))
    pool.sort()
    inspectors = []
    for dept in range(20):
        for j in range(100):
            area = "" if j < 10 else AREAS[j % len(AREAS)]
            inspectors.append(d.InspectorRef(dept * 100 + j + 1, f"D{dept:02d}", area))
    excluded: dict[str, set[int]] = {}
    for _ in range(20000):  # declared conflicts
        excluded.setdefault(rng.choice(pool)[0], set()).add(rng.randint(1, 2000))
    for code, _ in rng.sample(pool, 100000):  # last inspection's two inspectors
        excluded.setdefault(code, set()).update(rng.sample(range(1, 2001), 2))
    return pool, inspectors, excluded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", type=int, default=1_000_000)
    parser.add_argument("--control", default="0.01", help="control group ratio (0: none)")
    args = parser.parse_args()
    rng = random.Random(13)
    pool, inspectors, excluded = build(args.pool, rng)
    ratios = {s: r for s, _, r in STRATA}
    seed = hashlib.sha256(b"bench-draw").hexdigest()
    departments = ["D03", "D07"]

    start = time.perf_counter()
    for code, _ in pool:
        hashlib.sha256(f"{seed}:{code}".encode()).digest()
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    result = d.draw(seed, pool, ratios, inspectors, departments, excluded, k=2, control_ratio=args.control)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    again = d.draw(seed, pool, ratios, inspectors, departments, excluded, k=2, control_ratio=args.control)
    by_id = {i.id: i for i in inspectors}
    counts: dict[str, int] = {}
    for _, stratum in pool:
        counts[stratum] = counts.get(stratum, 0) + 1
    per_stratum: dict[str, int] = {}
    inspectors_ok = True
    for code, stratum, ids in result.selected:
        if code in result.stratified:
            per_stratum[stratum] = per_stratum.get(stratum, 0) + 1
        refs = [by_id[i] for i in ids]
        inspectors_ok &= (len(set(ids)) >= 2 and not set(ids) & excluded.get(code, set())
                          and all(r.department in departments and code[2:8].startswith(r.area) for r in refs))
    ratios_ok = all(per_stratum.get(s, 0) == min(n, math.ceil(Decimal(ratios[s]) * n))
                    for s, n in counts.items())
    control_ok = len(result.control) == min(len(pool), math.ceil(Decimal(args.control) * len(pool)))
    print(json.dumps({
        "bench": "draw", "algorithm": d.ALGORITHM, "pool": len(pool), "inspectors": len(inspectors),
        "selected": len(result.selected), "by_ratio": len(result.stratified), "control": len(result.control),
        "seconds": round(elapsed, 3), "peak_rss_mb": round(peak_mb, 1),
        "baseline_hash_pool_seconds": round(baseline, 3), "ratio_vs_baseline": round(elapsed / baseline, 2),
        "recomputation_equal": (again.selected == result.selected and again.pool_sha256 == result.pool_sha256
                                and again.control == result.control),
        "control_group_size_honoured": control_ok,
        "two_distinct_eligible_inspectors": inspectors_ok, "ratios_honoured": ratios_ok,
        "target_met": elapsed <= 5 and peak_mb <= 1024,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
