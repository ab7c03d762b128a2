"""Credit-check benchmark: N entities, concurrent credit checks through the HTTP API.

Builds (once) a separate data directory with N entities and list entries for 5% of them, starts
uvicorn on loopback, and fires concurrent ``GET /api/v1/credit/check`` calls with a department
token for a fixed time (wrk, see ``bench/loadgen.py``; Python clients when wrk is missing). Every
call is a real check: it is recorded (信用核查记录) and audited. Prints one JSON line: requests/s,
p50/p99 latency, and the same check called in-process as the baseline.

    .venv/bin/python bench/credit_check.py                  # 1,000,000 entities, 10 s
    .venv/bin/python bench/credit_check.py --small          # 50,000 entities, 3 s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402

SCENARIOS = ["gov_procurement", "bidding", "subsidy", "approval", "政府采购"]


def setup(data_dir: Path) -> None:
    os.environ["REGSHARE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regshare.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def populate(n: int) -> None:
    import datetime as dt

    from django.db import transaction

    from regshare.credit.models import ListCause, ListEntry, ListType
    from regshare.demo import build
    from regshare.demo.credit import ensure_memoranda
    from regshare.entities.codes import USCC_CHARSET, make_uscc
    from regshare.entities.models import Entity

    if Entity.objects.count() >= n:
        return
    build(seed=1, entities=0, steps=("regshare.demo.org", "regshare.demo.catalog"))
    ensure_memoranda()
    from regshare.core.models import Department

    rng = random.Random(11)
    dep = Department.objects.filter(code__endswith="SCJG").first()
    seen: set[str] = set(Entity.objects.values_list("uscc", flat=True))
    batch: list[Entity] = []
    start = Entity.objects.count()
    for i in range(start, n):
        while True:
            code = make_uscc("91360404" + "".join(rng.choice(USCC_CHARSET) for _ in range(9)))
            if code not in seen:
                seen.add(code)
                break
        batch.append(Entity(uscc=code, name=f"九江第{i}号商贸有限公司", name_norm=f"九江第{i}号商贸公司",
                            legal_rep="王某", address="江西省九江市柴桑区", status="存续",
                            established=dt.date(2010, 1, 1)))
        if len(batch) == 20000:
            with transaction.atomic():
                Entity.objects.bulk_create(batch)
            batch = []
    if batch:
        Entity.objects.bulk_create(batch)
    ids = list(Entity.objects.values_list("id", flat=True))
    listed = rng.sample(ids, len(ids) // 20)
    types = [ListType.ABNORMAL, ListType.SERIOUS, ListType.DISHONEST_DEBTOR, ListType.TAX_VIOLATION, ListType.RED]
    causes = {ListType.ABNORMAL: ListCause.ANNUAL_REPORT, ListType.SERIOUS: ListCause.SERIOUS_VIOLATION,
              ListType.DISHONEST_DEBTOR: ListCause.COURT, ListType.TAX_VIOLATION: ListCause.TAX,
              ListType.RED: ListCause.HONOUR}
    entries = []
    for k, entity_id in enumerate(listed):
        t = types[k % len(types)]
        entries.append(ListEntry(list_type=t, entity_id=entity_id, cause=causes[t], decision_no=f"BENCH-{k}",
                                 department=dep, listed_on=dt.date(2025, 1, 1)))
    ListEntry.objects.bulk_create(entries, batch_size=20000)


def token() -> str:
    from regshare.core.models import Department, User
    from regshare.core.permissions import Principal
    from regshare.core.services import issue_token

    admin = Principal.for_user(User.objects.get(username="admin"))
    dep = Department.objects.filter(code__endswith="FGJ").first()
    return issue_token(admin, department=dep, name="bench", scopes=["credit.check"]).secret


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def fire(ports: list[int], secret: str, codes: list[str], requests: int, concurrency: int) -> list[float]:
    import httpx

    scenarios = SCENARIOS
    latencies: list[float] = []
    errors = 0
    queue = list(range(requests))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        rng = random.Random(len(queue))
        while queue:
            queue.pop()
            params = {"uscc": rng.choice(codes), "scenario": rng.choice(scenarios)}
            t0 = time.perf_counter()
            response = await client.get("/api/v1/credit/check", params=params)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                errors += 1

    headers = {"Authorization": f"Bearer {secret}"}
    limits = httpx.Limits(max_connections=concurrency)
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits, timeout=30)
               for port in ports]
    try:
        await asyncio.gather(*(worker(clients[i % len(clients)]) for i in range(concurrency)))
    finally:
        for client in clients:
            await client.aclose()
    if errors:
        raise SystemExit(f"{errors} requests failed")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=5000, help="requests (Python clients only)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration (wrk)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--python-clients", action="store_true", help="use the Python clients even if wrk exists")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    if args.small:
        args.entities, args.requests, args.seconds = 50_000, 1000, 3.0
    use_wrk = loadgen.available() and not args.python_clients
    data_dir = Path(args.data_dir or f"/tmp/regshare-bench-credit-{args.entities}")
    data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    setup(data_dir)
    populate(args.entities)
    build_s = time.perf_counter() - t0

    from regshare.credit import services
    from regshare.credit.models import ListEntry
    from regshare.entities.models import Entity

    rng = random.Random(5)
    listed = list(ListEntry.objects.values_list("entity__uscc", flat=True)[:2000])
    plain = [Entity.objects.only("uscc").get(pk=rng.randint(1, args.entities)).uscc for _ in range(2000)]
    codes = listed + plain
    secret = token()

    # Baseline: the same check in-process (no HTTP, no server), single caller.
    base = []
    for code in codes[:300]:
        t = time.perf_counter()
        services.check("bench", code, "gov_procurement")
        base.append(time.perf_counter() - t)

    # One single-process uvicorn per port, clients spread evenly over the ports (see bench/access.py).
    ports = [free_port() for _ in range(args.workers)]
    # One token makes every call of the load: the per-token rate limit would answer most with 429.
    env = {**os.environ, "REGSHARE_DATA_DIR": str(data_dir), "REGSHARE_DEBUG": "0",
           "REGSHARE_API_RATE_PER_PRINCIPAL": "0", "PYTHONPATH": str(ROOT / "src")}
    servers = [subprocess.Popen([sys.executable, "-m", "uvicorn", "regshare.asgi:application", "--host", "127.0.0.1",
                                 "--port", str(port), "--log-level", "warning"], env=env, cwd=str(ROOT))
               for port in ports]
    try:
        import httpx

        for port in ports:
            for _ in range(1500):  # a loaded shared machine can take minutes to start the servers
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/credit/check", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
        if use_wrk:
            paths = [f"/api/v1/credit/check?uscc={code}&scenario={quote(SCENARIOS[i % len(SCENARIOS)])}"
                     for i, code in enumerate(codes)]
            loadgen.drive_wrk(ports, paths[:200], secret, args.concurrency, 2, data_dir)  # warm-up
            measured = loadgen.drive_wrk(ports, paths, secret, args.concurrency, args.seconds, data_dir)
            if measured["errors"]:
                raise SystemExit(f"{measured['errors']} requests failed")
        else:
            asyncio.run(fire(ports, secret, codes, 200, args.concurrency))  # warm-up
            t1 = time.perf_counter()
            latencies = sorted(asyncio.run(fire(ports, secret, codes, args.requests, args.concurrency)))
            wall = time.perf_counter() - t1
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)

    def pct(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2)

    if not use_wrk:
        measured = {"requests": len(latencies), "rps": round(len(latencies) / wall, 1),
                    "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99)}
    base.sort()
    print(json.dumps({
        "bench": "credit_check", "entities": Entity.objects.count(), "listed": ListEntry.objects.count(),
        "client": "wrk" if use_wrk else "python", "requests": measured["requests"],
        "concurrency": args.concurrency, "server_workers": args.workers, "build_s": round(build_s, 1),
        "requests_per_s": measured["rps"], "p50_ms": measured["p50_ms"], "p99_ms": measured["p99_ms"],
        "baseline_in_process_p50_ms": pct(base, 0.5), "baseline_in_process_p99_ms": pct(base, 0.99),
        "p99_vs_in_process": round(measured["p99_ms"] / max(pct(base, 0.99), 0.01), 1),
        "target_p99_met": measured["p99_ms"] <= 20,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
