"""Secured key look-ups through a grant vs. the bare look-up path of the same server.

Loads 1,000,000 generated rows into SCJG-0001 (valid USCC and ID-card check digits), approves a
grant with masked fields for 区行政审批局, serves the app with uvicorn on loopback, and drives
bounded concurrent clients (processes × threads, keep-alive connections, fixed duration):

- secured: ``GET /api/v1/resources/SCJG-0001/rows?uscc=…`` with the grant's bearer token: token
  authentication, access scope, key index, masking by tag, one audit-chain record per request;
- bare: ``GET /api/v1/bench/bare/resources/SCJG-0001/rows?uscc=…``: the same query code (filters,
  key index, cursor, version, response schema) with authentication, grant scope, masking and audit
  switched off. This route exists only when ``REGSHARE_BENCH_BARE=1`` is set for the server.

The clients are wrk (``make bench-tools`` installs it from Debian's packages), one wrk process per
server port with a Lua script cycling through 5,000 keys: a load generator written in C leaves the two
cores to the server. Without wrk the bench falls back to Python clients (``"client": "python"`` in the
output), which take a good share of the CPU themselves.

    .venv/bin/python bench/access.py [--small] [--rows N] [--seconds S] [--workers W] [--connections C]
Prints one JSON line: requests/s, p50/p99 (ms) of both paths and the ratio secured/bare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import drive_wrk  # noqa: E402

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def uscc_column(n: int):
    import numpy as np

    # 91 (enterprise) + 360404 (柴桑区) + 9-digit organisation code from the row number.
    body = np.zeros((n, 17), dtype=np.int64)
    prefix = [9, 1, 3, 6, 0, 4, 0, 4]
    body[:, :8] = prefix
    numbers = np.arange(n, dtype=np.int64) + 100000000
    for position in range(9):
        body[:, 16 - position] = numbers % 10
        numbers //= 10
    check = (31 - (body @ np.array(USCC_WEIGHTS)) % 31) % 31
    text = ["".join(map(str, row)) for row in body.tolist()]
    return [t + USCC_CHARS[c] for t, c in zip(text, check.tolist(), strict=True)]


def id_card_column(n: int, rng: random.Random):
    import numpy as np

    births = [dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(20000)) for _ in range(n)]
    bodies = [f"360404{b:%Y%m%d}{rng.randrange(1000):03d}" for b in births]
    digits = np.array([list(map(int, b)) for b in bodies], dtype=np.int64)
    checks = (digits @ np.array(ID_WEIGHTS)) % 11
    return [b + ID_CHECK[c] for b, c in zip(bodies, checks.tolist(), strict=True)]


def generate(n: int):
    import pyarrow as pa

    rng = random.Random(2026)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高欧阳"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"
    streets = ["沙河街镇民主路", "城子镇解放路", "港口街镇滨江路", "新合镇建设路", "狮子街道长城路", "涌泉乡湖滨路"]
    industries = ["C13", "F52", "I65", "L72", "M74", "E47"]
    statuses = ["存续", "在业", "吊销", "注销"]
    uscc = uscc_column(n)
    return pa.table({
        "uscc": uscc,
        "name": [f"九江{rng.choice('华兴泰鑫瑞丰隆盛达昌')}{rng.choice('源顺福安康德嘉')}商贸有限公司{i}" for i in range(n)],
        "legal_rep": [rng.choice(surnames[:-2]) + "".join(rng.choices(given, k=rng.randint(1, 2))) for _ in range(n)],
        "legal_rep_id": id_card_column(n, rng),
        "phone": [f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" for _ in range(n)],
        "address": [f"江西省九江市柴桑区{rng.choice(streets)}{rng.randrange(1, 999)}号" for _ in range(n)],
        "established": [dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9000)) for _ in range(n)],
        "capital": [round(rng.uniform(1, 5000), 2) for _ in range(n)],
        "industry": [rng.choice(industries) for _ in range(n)],
        "status": [rng.choice(statuses) for _ in range(n)],
    })


def prepare(rows: int) -> tuple[str, list[str]]:
    """Database, demo org and catalog, the lake table, an approved grant and its token."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from regshare.catalog.models import Resource
    from regshare.core.models import User
    from regshare.core.permissions import Principal
    from regshare.demo import build
    from regshare.exchange import services
    from regshare.lake import tables as lake

    build(seed=1, entities=0, steps=("regshare.demo.org", "regshare.demo.catalog"))
    table = generate(rows)
    lake.write("SCJG-0001", table, mode="replace")
    resource = Resource.objects.get(code="SCJG-0001")

    def who(name: str) -> Principal:
        return Principal.for_user(User.objects.get(username=name))

    today = timezone.localdate()
    application = services.submit_application(who("xzsp_liaison"), services.ApplicationInput(
        resource=resource, fields=["uscc", "name", "legal_rep", "legal_rep_id", "phone", "address", "status"],
        purpose="企业开办审批核验", scenario="窗口核验", legal_basis="《优化营商环境条例》", period_start=today,
        period_end=today + dt.timedelta(days=30),
        approval_file=SimpleUploadedFile("批准.pdf", b"%PDF-1.4", content_type="application/pdf")))
    services.review(who("sjj_reviewer"), application, True)
    services.review(who("scjg_reviewer"), application, True)
    application.refresh_from_db()
    token = services.issue_grant_token(who("xzsp_admin"), application.grant, "bench").secret
    sample = random.Random(7).sample(table.column("uscc").to_pylist(), 5000)
    return token, sample


def _recreate_database(url: str) -> None:
    """A fresh PostgreSQL database for the run (the bench never touches another database)."""
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("regshare_bench"):
        raise SystemExit("--database-url must name a database starting with regshare_bench")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, timeout: float = 600) -> None:
    # A loaded shared machine can take minutes to import the platform; the load starts only once both answer.
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def client_process(ports: list[int], paths: list[str], token: str | None, threads: int, seconds: float, queue) -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        port = ports[offset % len(ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        mine, i = [], offset
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += threads
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((latencies, errors[0]))


def drive(ports: list[int], paths: list[str], token: str | None, processes: int, threads: int, seconds: float) -> dict:
    queue = mp.Queue()
    started = time.perf_counter()
    procs = [mp.Process(target=client_process, args=(ports, paths[k::processes], token, threads, seconds, queue))
             for k in range(processes)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)
    if not latencies:
        return {"requests": 0, "errors": errors}
    return {
        "requests": len(latencies), "errors": errors, "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="100k rows, 3 s per path")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes (one port each)")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per client process (Python clients)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (wrk)")
    parser.add_argument("--python-clients", action="store_true", help="use the Python clients even if wrk exists")
    parser.add_argument("--database-url", default="",
                        help="e.g. postgres://postgres@127.0.0.1:5432/regshare_bench_access (default: SQLite "
                             "in the bench's own data dir)")
    args = parser.parse_args()
    if args.small:
        args.rows, args.seconds = 100_000, 3.0

    data_dir = Path(tempfile.mkdtemp(prefix="regshare-bench-access-"))
    env = dict(os.environ, REGSHARE_DATA_DIR=str(data_dir), REGSHARE_LAKE_DIR=str(data_dir / "lake"),
               DJANGO_SETTINGS_MODULE="regshare.settings", REGSHARE_DEBUG="0", REGSHARE_BENCH_BARE="1",
               REGSHARE_LOG_LEVEL="ERROR",
               # One token makes every call of the load: the per-token rate limit would answer most with 429.
               REGSHARE_API_RATE_PER_PRINCIPAL="0")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
        _recreate_database(args.database_url)
    else:
        env.pop("DATABASE_URL", None)  # the bench's own SQLite file in its own data dir
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    use_wrk = shutil.which("wrk") is not None and not args.python_clients
    load_started = time.perf_counter()
    token, keys = prepare(args.rows)
    load_seconds = time.perf_counter() - load_started

    # One single-process uvicorn per replica, each on its own port, the connections split evenly over
    # them, so that each process serves the same share (with uvicorn's own --workers mode the kernel
    # decides, and one process can get most connections). With the pure-Python h11 parser that mode
    # also stalled keep-alive responses by ~40 ms; with httptools it does not (p50 2.6 ms, p99 8.9 ms).
    ports = [free_port() for _ in range(args.workers)]
    servers = [subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "regshare.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"], env=env, cwd=str(ROOT)) for port in ports]
    try:
        for port in ports:
            wait_ready(port)
        secured_paths = [f"/api/v1/resources/SCJG-0001/rows?uscc={k}" for k in keys]
        # The granted fields, so that both paths return the same columns.
        granted = "uscc,name,legal_rep,legal_rep_id,phone,address,status"
        bare_paths = [f"/api/v1/bench/bare/resources/SCJG-0001/rows?uscc={k}&fields={granted}" for k in keys]
        # Warm every worker: the first look-up of a version builds that worker's key index.
        drive(ports, bare_paths[:200], None, 1, args.workers * 2, 8.0 if not args.small else 3.0)
        drive(ports, secured_paths[:200], token, 1, args.workers * 2, 2.0)
        if use_wrk:
            bare = drive_wrk(ports, bare_paths, None, args.connections, args.seconds, data_dir)
            secured = drive_wrk(ports, secured_paths, token, args.connections, args.seconds, data_dir)
        else:
            bare = drive(ports, bare_paths, None, args.clients, args.threads, args.seconds)
            secured = drive(ports, secured_paths, token, args.clients, args.threads, args.seconds)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)

    print(json.dumps({
        "bench": "access", "rows": args.rows, "load_s": round(load_seconds, 1), "workers": args.workers,
        "client": "wrk" if use_wrk else "python",
        "concurrency": args.connections if use_wrk else args.clients * args.threads, "seconds": args.seconds,
        "secured": secured, "bare": bare,
        "ratio_secured_vs_bare": round(secured.get("rps", 0) / bare["rps"], 3) if bare.get("rps") else None,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
