"""Start-up benchmark: a command that needs no heavy library, against importing Django in the same run.

Prints one JSON line: the median wall time of ``regshare workdays is 2026-10-10`` and of the baseline
``python -c "import django, django.db.models, django.contrib.admin"``, runs interleaved so that both see
the same machine load, and their ratio (goal: at most 3). The command runs on a fresh SQLite database
migrated in a temporary data directory before the timings, so it measures start-up and one query.

    .venv/bin/python bench/startup.py              # 7 runs of each
    .venv/bin/python bench/startup.py --runs 15
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
BASELINE = [sys.executable, "-c", "import django, django.db.models, django.contrib.admin"]
# What the ``regshare`` console script runs, without depending on where it was installed.
COMMAND = [sys.executable, "-c", "import sys; from regshare.cli import main; sys.exit(main())",
           "workdays", "is", "2026-10-10"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="regshare-bench-startup-") as data_dir:
        # Bytecode is cached as an installed package's would be (PYTHONDONTWRITEBYTECODE, set in some
        # shells, would make every run compile the platform's modules, and only them, again).
        env = dict(os.environ, PYTHONPATH=str(SRC), REGSHARE_DATA_DIR=data_dir,
                   DATABASE_URL=f"sqlite:///{data_dir}/regshare.sqlite3", DJANGO_SETTINGS_MODULE="regshare.settings",
                   PYTHONPYCACHEPREFIX=f"{data_dir}/pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-c", "import sys; from regshare.cli import main; sys.exit(main())",
                        "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
        # One unmeasured run of each fills the OS file cache and writes the bytecode caches.
        timed(BASELINE, env)
        timed(COMMAND, env)
        baseline, command = [], []
        for _ in range(args.runs):
            baseline.append(timed(BASELINE, env))
            command.append(timed(COMMAND, env))
    base, cmd = statistics.median(baseline), statistics.median(command)
    print(json.dumps({
        "bench": "startup",
        "command": "regshare workdays is 2026-10-10",
        "runs": args.runs,
        "command_s": round(cmd, 3),
        "baseline_s": round(base, 3),
        "baseline": "python -c 'import django, django.db.models, django.contrib.admin'",
        "ratio": round(cmd / base, 2),
        "goal_ratio": 3.0,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
