"""Rebuild benchmark: the entity master at a million registrations, and the demo re-run next to them.

In a fresh data directory: ``regshare demo --seed 1`` builds the district, then one file of N
registrations (default 1,000,000, valid codes) is merged into the demo's SCJG-0001 through
``regshare ingest``. Each step below runs as its own ``regshare`` process under ``/usr/bin/time``,
which gives its wall time and its peak memory (maximum RSS of the child):

- ``entities rebuild`` after the N-row load (the rows changed since the demo's version: all N);
- ``entities rebuild --full`` (the whole snapshot: the baseline of the same run);
- ``entities rebuild`` after a 1% change (N/100 rows merged with a new status);
- ``demo --seed 1`` run again.

Prints one JSON line; ``ratio`` is the incremental rebuild after the 1% change against the full rebuild.
The goal is a peak under 2 GB for every step.

    .venv/bin/python bench/rebuild.py                        # 1,000,000 rows
    .venv/bin/python bench/rebuild.py --rows 200000 --demo-entities 1000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from regshare.core.codes import USCC_CHARSET, make_uscc  # noqa: E402

HEADER = ["uscc", "name", "legal_rep", "legal_rep_id", "phone", "address", "established", "capital", "industry",
          "status"]
TRADES = ["科技", "商贸", "建设工程", "食品", "餐饮", "商务咨询", "物流", "建材", "家政服务", "技术服务"]
STREETS = ["沙河街道", "城子镇", "港口街镇", "新合镇", "狮子街道", "永安乡", "江洲镇", "岷山乡"]


def registrations(n: int, seed: int = 18) -> list[list[str]]:
    rng = random.Random(seed)
    rows, seen = [], set()
    while len(rows) < n:
        body = "91360404" + "".join(rng.choice(USCC_CHARSET) for _ in range(9))
        if body in seen:
            continue
        seen.add(body)
        i = len(rows)
        rows.append([make_uscc(body), f"九江压测{i}号{rng.choice(TRADES)}有限公司", f"法人{i % 5000}", "",
                     f"1{rng.randrange(3000000000, 9999999999)}",
                     f"江西省九江市柴桑区{rng.choice(STREETS)}{rng.randint(1, 999)}号",
                     f"{rng.randint(1995, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     f"{rng.choice([10, 50, 100, 500, 1000])}.00", "F5211", "存续"])
    return rows


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def regshare(env: dict[str, str], *argv: str, measure: bool = False) -> dict:
    """Run ``regshare *argv``; with ``measure``, its wall time and peak RSS (MB) from /usr/bin/time."""
    command = [sys.executable, "-c", "import sys; from regshare.cli import main; sys.exit(main())", *argv]
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        if measure:
            command = ["/usr/bin/time", "-f", "%e %M", "-o", report.name, *command]
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"regshare {' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        if not measure:
            return {"s": round(wall, 1)}
        seconds, kilobytes = report.read().split()[-2:]
        return {"s": round(float(seconds), 1), "peak_mb": round(int(kilobytes) / 1024), "out": done.stdout.strip()[-200:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--demo-entities", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the data directory (printed)")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="regshare-bench-rebuild-")
    env = dict(os.environ, PYTHONPATH=str(SRC), REGSHARE_DATA_DIR=data_dir, REGSHARE_LAKE_DIR=f"{data_dir}/lake",
               DATABASE_URL=f"sqlite:///{data_dir}/regshare.sqlite3", DJANGO_SETTINGS_MODULE="regshare.settings")
    out: dict = {"bench": "rebuild", "rows": args.rows, "demo_entities": args.demo_entities}
    regshare(env, "migrate")
    out["demo_build"] = regshare(env, "demo", "--seed", "1", "--entities", str(args.demo_entities), measure=True)
    out["demo_build"].pop("out")
    rows = registrations(args.rows)
    big = write(Path(data_dir) / "scjg-0001-1m.csv", rows)
    out["load"] = regshare(env, "ingest", str(big), "--resource", "SCJG-0001", "--mode", "merge", "--json",
                           "--no-progress", measure=True)
    out["load"].pop("out")
    out["rebuild_after_load"] = regshare(env, "entities", "rebuild", measure=True)
    out["rebuild_full"] = regshare(env, "entities", "rebuild", "--full", measure=True)
    changed = random.Random(7).sample(range(len(rows)), max(1, len(rows) // 100))
    for i in changed:
        rows[i][9] = "吊销"
    small = write(Path(data_dir) / "scjg-0001-1pct.csv", [rows[i] for i in changed])
    del rows
    out["change_load"] = regshare(env, "ingest", str(small), "--resource", "SCJG-0001", "--mode", "merge", "--json",
                                  "--no-progress", measure=True)
    out["change_load"].pop("out")
    out["rebuild_after_1pct"] = regshare(env, "entities", "rebuild", measure=True)
    out["demo_rerun"] = regshare(env, "demo", "--seed", "1", "--entities", str(args.demo_entities), measure=True)
    out["demo_rerun"].pop("out")
    out["ratio"] = round(out["rebuild_after_1pct"]["s"] / max(out["rebuild_full"]["s"], 0.1), 3)
    out["baseline"] = "entities rebuild --full, same run"
    out["peak_mb_max"] = max(v["peak_mb"] for v in out.values() if isinstance(v, dict) and "peak_mb" in v)
    out["goal_peak_mb"] = 2048
    out["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    if args.keep:
        out["data_dir"] = data_dir
    else:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
