"""Engines benchmark: the risk indicators (one SQL statement through ``regshare.lake.engine``) over the same
synthetic register (``regshare.risk.synthetic``, fixed seed) on DuckDB and on Spark, each in a child process
of its own so that time and peak memory are its alone (Spark: the Python driver plus its JVM, VmHWM of both).

The two results must agree: same rows, and per indicator the same sum and the same number of entities with a
non-zero value. Prints one JSON line with both runs and the Spark/DuckDB ratios.

    .venv/bin/python bench/engines.py --entities 100000
    .venv/bin/python bench/engines.py                      # 1,000,000 entities
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
TODAY = dt.date(2026, 6, 1)
ENGINES = ("duckdb", "spark")


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child_pid in children:
            found += [child_pid, *descendants(child_pid)]
    return found


def child(engine_name: str, entities: int) -> None:
    """One engine's run; prints its JSON line."""
    os.environ["REGSHARE_ENGINE"] = engine_name
    sys.path.insert(0, str(SRC))
    from regshare.risk import indicators, synthetic

    tables = synthetic.generate(entities, TODAY).tables
    if engine_name == "spark":  # the JVM starts outside the timed pass, as a long-running worker would have it
        from regshare.lake import spark

        spark.spark_session()
    t0 = time.perf_counter()
    result = indicators.compute(tables, TODAY, bulk=True)
    seconds = time.perf_counter() - t0
    checks = {}
    for name in indicators.FEATURES:
        column = result.column(name).to_numpy(zero_copy_only=False)
        checks[name] = [float(column.sum()), int((column != 0).sum())]
    peak = vm_hwm_kb(os.getpid()) + sum(vm_hwm_kb(p) for p in descendants(os.getpid()))
    print(json.dumps({"engine": engine_name, "rows": result.num_rows, "indicators_s": round(seconds, 2),
                      "peak_mb": round(peak / 1024, 1), "checks": checks}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.entities)
        return
    runs = {}
    for name in ENGINES:
        done = subprocess.run([sys.executable, __file__, "--child", name, "--entities", str(args.entities)],
                              stdout=subprocess.PIPE, text=True, check=True,
                              env={"REGSHARE_SPARK_DRIVER_MEMORY": "2g", **os.environ, "PYTHONPATH": str(SRC)})
        runs[name] = json.loads(done.stdout.strip().splitlines()[-1])
    duck, spark = runs["duckdb"], runs["spark"]
    assert duck["rows"] == spark["rows"], (duck["rows"], spark["rows"])
    # Non-zero counts must match exactly; sums to 1e-9 of their size (a float sum depends on its order).
    differ = {name: (duck["checks"][name], spark["checks"][name]) for name in duck["checks"]
              if duck["checks"][name][1] != spark["checks"][name][1]
              or abs(duck["checks"][name][0] - spark["checks"][name][0]) > 1e-9 * max(abs(duck["checks"][name][0]), 1)}
    assert not differ, f"the engines disagree: {differ}"
    print(json.dumps({
        "bench": "engines", "entities": args.entities, "rows": duck["rows"], "same_results": True,
        "duckdb": {"indicators_s": duck["indicators_s"], "peak_mb": duck["peak_mb"]},
        "spark": {"indicators_s": spark["indicators_s"], "peak_mb": spark["peak_mb"],
                  "master": f"local[{os.environ.get('REGSHARE_SPARK_CORES', os.cpu_count())}]"},
        "ratio_spark_to_duckdb": {"time": round(spark["indicators_s"] / max(duck["indicators_s"], 0.01), 2),
                                  "memory": round(spark["peak_mb"] / max(duck["peak_mb"], 0.1), 2)},
    }))


if __name__ == "__main__":
    main()
