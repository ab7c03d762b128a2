"""Engines benchmark, DuckDB against Spark, each run in a child process of its own so that time and peak memory
are its alone (Spark: the Python driver plus its JVM, VmHWM of both):

- the risk indicators (one SQL statement through ``regshare.lake.engine``) over the same synthetic register
  (``regshare.risk.synthetic``, fixed seed). Both must give the same rows and, per indicator, the same sum
  and the same number of entities with a non-zero value;
- the ingest pass (``ingest.pipeline.run``: read, clean, validate, deduplicate, quality figures, rejects file,
  commit to a Delta table) over the 市场主体登记信息 file of ``bench/ingest.py`` (same generator, ~2% planted
  defects of every kind; reused from ``bench/data`` when already there). Both must give the same rows in,
  rejected, duplicates, loaded, quality, per-field figures, first errors and rejects file, and the lake must
  hold the loaded rows. Spark reads the checked source as Parquet (``SparkConnection.frame_of``), so a
  million rows never pass through the driver as Python objects.

Prints one JSON line with both runs and the Spark/DuckDB ratios.

    .venv/bin/python bench/engines.py --entities 100000 --rows 100000
    .venv/bin/python bench/engines.py                      # 1,000,000 entities and rows
    .venv/bin/python bench/engines.py --parts ingest --rows 1000000
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

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DATA = ROOT / "bench" / "data"
TODAY = dt.date(2026, 6, 1)
ENGINES = ("duckdb", "spark")
PARTS = ("indicators", "ingest")


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


def peak_mb() -> float:
    return round((vm_hwm_kb(os.getpid()) + sum(vm_hwm_kb(p) for p in descendants(os.getpid()))) / 1024, 1)


def start_spark(engine_name: str) -> None:
    if engine_name == "spark":  # the JVM starts outside the timed pass, as a long-running worker would have it
        from regshare.lake import spark

        spark.spark_session()


def ingest_child(engine_name: str, path: str) -> None:
    """One engine's ingest pass over ``path`` into a Delta table of its own; prints its JSON line."""
    import tempfile

    os.environ["REGSHARE_ENGINE"] = engine_name
    work = tempfile.mkdtemp(prefix=f"regshare-bench-engines-{engine_name}-")
    os.environ["REGSHARE_LAKE_DIR"] = str(Path(work) / "lake")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regshare.settings")
    sys.path.insert(0, str(SRC))
    import django

    django.setup()
    import pyarrow.parquet as pq

    from regshare.demo.catalog import SCJG_0001_FIELDS
    from regshare.ingest import pipeline, readers
    from regshare.ingest.rules import FieldSpec
    from regshare.lake import tables

    fields = [FieldSpec(name, code_name, str(kind), bool(required), bool(key), tuple(enumeration), str(tag))
              for name, code_name, kind, required, key, tag, enumeration in SCJG_0001_FIELDS]
    code, rejects = "BENCH-ENGINES", Path(work) / "rejects.parquet"
    start_spark(engine_name)
    t0 = time.perf_counter()
    source = readers.open_file(Path(path), fields)
    try:
        result = pipeline.run(source, fields, rejects_path=rejects,
                              write=lambda data, rows: tables.write(code, data, key=["uscc"], notify=False, rows=rows))
    finally:
        source.cleanup()
    seconds = time.perf_counter() - t0
    import collections
    import hashlib
    import re
    import shutil

    rejected = pq.read_table(rejects)
    # Reasons counted without the row numbers some of them quote (``保留第 N 行``): compared in ``rows`` below.
    reasons = collections.Counter(re.sub(r"\d+", "N", r or "") for r in rejected.column("reason").to_pylist())
    figures = {"rows_in": result.rows_in, "rows_rejected": result.rows_rejected, "duplicates": result.duplicates,
               "rows_loaded": result.rows_loaded, "accepted": result.accepted, "quality": result.quality,
               "field_stats": [[f["code_name"], f["filled"], f["invalid"]] for f in result.field_stats],
               "rejects_rows": rejected.num_rows, "rejects_reasons": sorted(reasons.items()),
               "lake_rows": tables.row_count(code) if result.version is not None else 0}
    # Which file row each problem is reported at: the first errors and a digest of the whole rejects file.
    rows = {"first_errors": result.errors[:5],
            "rejects_digest": hashlib.sha256(json.dumps(rejected.to_pylist(), ensure_ascii=False,
                                                        default=str).encode()).hexdigest()[:16]}
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"engine": engine_name, "ingest_s": round(seconds, 2), "peak_mb": peak_mb(),
                      "figures": figures, "rows": rows}, ensure_ascii=False))


def child(engine_name: str, entities: int) -> None:
    """One engine's run of the risk indicators; prints its JSON line."""
    os.environ["REGSHARE_ENGINE"] = engine_name
    sys.path.insert(0, str(SRC))
    from regshare.risk import indicators, synthetic

    tables = synthetic.generate(entities, TODAY).tables
    start_spark(engine_name)
    t0 = time.perf_counter()
    result = indicators.compute(tables, TODAY, bulk=True)
    seconds = time.perf_counter() - t0
    checks = {}
    for name in indicators.FEATURES:
        column = result.column(name).to_numpy(zero_copy_only=False)
        checks[name] = [float(column.sum()), int((column != 0).sum())]
    print(json.dumps({"engine": engine_name, "rows": result.num_rows, "indicators_s": round(seconds, 2),
                      "peak_mb": peak_mb(), "checks": checks}))


def run_children(extra: list[str]) -> dict[str, dict]:
    runs = {}
    for name in ENGINES:
        done = subprocess.run([sys.executable, __file__, "--child", name, *extra],
                              stdout=subprocess.PIPE, text=True, check=True,
                              env={"REGSHARE_SPARK_DRIVER_MEMORY": "2g", **os.environ, "PYTHONPATH": str(SRC)})
        runs[name] = json.loads(done.stdout.strip().splitlines()[-1])
    return runs


def ratios(duck: dict, spark: dict, key: str) -> dict:
    return {"time": round(spark[key] / max(duck[key], 0.01), 2), "memory": round(spark["peak_mb"] / max(duck["peak_mb"], 0.1), 2)}


def ingest_file(rows: int) -> Path:
    """The generated file of ``bench/ingest.py`` for ``rows`` rows, made once."""
    path = DATA / f"market_entities_{rows}.csv"
    if not path.exists():
        sys.path.insert(0, str(ROOT / "bench"))
        from ingest import generate

        generate(rows, path)
    return path


def compare_ingest(rows: int) -> dict:
    path = ingest_file(rows)
    runs = run_children(["--ingest-file", str(path)])
    duck, spark = runs["duckdb"], runs["spark"]
    differ = {k: (duck["figures"][k], spark["figures"][k]) for k in duck["figures"]
              if duck["figures"][k] != spark["figures"][k]}
    assert not differ, f"the engines disagree on the ingest pass: {differ}"
    figures = duck["figures"]
    # Row numbers are reported, not asserted: DuckDB numbers rows by ``rowid``, which a multi-threaded pass
    # does not always keep in file order (see docs/BENCHMARKS.md, engines); Spark carries each row's number.
    same_rows = duck["rows"] == spark["rows"]
    return {"rows": rows, "same_results": True, "same_row_numbers": same_rows,
            **({} if same_rows else {"first_errors": {"duckdb": duck["rows"]["first_errors"][:2],
                                                      "spark": spark["rows"]["first_errors"][:2]}}),
            "counts": {k: figures[k] for k in ("rows_in", "rows_rejected", "duplicates", "rows_loaded", "lake_rows")},
            "duckdb": {"ingest_s": duck["ingest_s"], "peak_mb": duck["peak_mb"]},
            "spark": {"ingest_s": spark["ingest_s"], "peak_mb": spark["peak_mb"]},
            "ratio_spark_to_duckdb": ratios(duck, spark, "ingest_s")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000, help="register size for the risk indicators")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the file for the ingest pass")
    parser.add_argument("--parts", default=",".join(PARTS), help="which passes to compare: indicators,ingest")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--ingest-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.ingest_file:
            ingest_child(args.child, args.ingest_file)
        else:
            child(args.child, args.entities)
        return
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    out: dict = {"bench": "engines",
                 "master": f"local[{os.environ.get('REGSHARE_SPARK_CORES', os.cpu_count())}]"}
    if "indicators" in parts:
        out["indicators"] = compare_indicators(args.entities)
    if "ingest" in parts:
        out["ingest"] = compare_ingest(args.rows)
    print(json.dumps(out, ensure_ascii=False))


def compare_indicators(entities: int) -> dict:
    runs = run_children(["--entities", str(entities)])
    duck, spark = runs["duckdb"], runs["spark"]
    assert duck["rows"] == spark["rows"], (duck["rows"], spark["rows"])
    # Non-zero counts must match exactly; sums to 1e-9 of their size (a float sum depends on its order).
    differ = {name: (duck["checks"][name], spark["checks"][name]) for name in duck["checks"]
              if duck["checks"][name][1] != spark["checks"][name][1]
              or abs(duck["checks"][name][0] - spark["checks"][name][0]) > 1e-9 * max(abs(duck["checks"][name][0]), 1)}
    assert not differ, f"the engines disagree: {differ}"
    return {"entities": entities, "rows": duck["rows"], "same_results": True,
            "duckdb": {"indicators_s": duck["indicators_s"], "peak_mb": duck["peak_mb"]},
            "spark": {"indicators_s": spark["indicators_s"], "peak_mb": spark["peak_mb"]},
            "ratio_spark_to_duckdb": ratios(duck, spark, "indicators_s")}


if __name__ == "__main__":
    main()
