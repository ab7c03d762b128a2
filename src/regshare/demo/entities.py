"""Demo market entities: a realistic district register loaded into SCJG-0001, then the master built.

Each entity carries a hidden "true risk" (``planted_risk``) that the credit step uses to draw
penalties, complaints and failed inspections, so tests can check the risk classes recover it.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
from django.conf import settings
from faker import Faker

from regshare.core.codes import USCC_CHARSET, make_uscc

from . import DemoContext

DIVISION = "360404"  # 九江市柴桑区
INDUSTRIES = [("F5211", "商贸"), ("I6513", "科技"), ("E4710", "建设工程"), ("C1391", "食品"), ("H6210", "餐饮"),
              ("L7212", "商务咨询"), ("G5430", "物流"), ("C3130", "建材"), ("O8010", "家政服务"), ("M7520", "技术服务"),
              ("F5261", "汽车销售"), ("K7010", "房地产开发"), ("Q8411", "医疗器械"), ("A0511", "农业开发")]
FORMS = ["有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司"]
STREETS = ["沙河街道", "城子镇", "港口街镇", "新合镇", "狮子街道", "永安乡", "江洲镇", "岷山乡", "涌泉乡", "马回岭镇"]
RISK_LEVELS = ("clean", "medium", "high")
TODAY = dt.date(2026, 11, 1)  # the demo's fixed "today", so data do not drift with the clock


def planted_risk(seed: int, n: int) -> list[str]:
    rng = random.Random(f"{seed}:planted-risk")
    out = []
    for _ in range(n):
        r = rng.random()
        out.append("high" if r < 0.10 else ("clean" if r < 0.70 else "medium"))
    return out


def entity_rows(seed: int, n: int) -> list[dict]:
    """The register: deterministic for (seed, n); USCCs valid per GB 32100-2015."""
    rng = random.Random(f"{seed}:entities")
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rows, names, codes = [], set(), set()
    for _ in range(n):
        kind = rng.choices("123", weights=[85, 12, 3])[0]
        while True:
            body = "9" + kind + DIVISION + "".join(rng.choice(USCC_CHARSET) for _ in range(9))
            if body not in codes:
                codes.add(body)
                break
        industry, trade = rng.choice(INDUSTRIES)
        while True:
            prefix = rng.choice(["九江", "柴桑区", "九江市柴桑区", "江西", ""])
            name = f"{prefix}{fake.company_prefix()}{fake.company_prefix()[:1]}{trade}{rng.choice(FORMS)}"
            if kind == "2":
                name = f"柴桑区{fake.company_prefix()}{trade}{rng.choice(['店', '经营部', '商行'])}"
            elif kind == "3":
                name = f"九江市柴桑区{fake.company_prefix()}{trade}专业合作社"
            if name not in names:
                names.add(name)
                break
        established = TODAY - dt.timedelta(days=rng.randint(30, 365 * 25))
        rows.append({
            "uscc": make_uscc(body),
            "name": name,
            "legal_rep": fake.name(),
            "legal_rep_id": fake.ssn(),
            "phone": fake.phone_number(),
            "address": f"江西省九江市柴桑区{rng.choice(STREETS)}{fake.street_name()}{rng.randint(1, 999)}号",
            "established": established.isoformat(),
            "capital": f"{rng.choice([3, 10, 30, 50, 100, 200, 500, 1000, 3000, 10000]) * rng.uniform(0.5, 2):.2f}",
            "industry": industry,
            "status": rng.choices(["存续", "在业", "吊销", "注销"], weights=[80, 14, 3, 3])[0],
        })
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def load(ctx: DemoContext, rows: list[dict], path: Path) -> None:
    """Through the validating ingest pipeline when it is installed, else straight into the lake."""
    from regshare.catalog.models import Resource

    try:
        from regshare.ingest.services import ingest_file
    except ImportError:
        ingest_file = None
    resource = Resource.objects.get(code="SCJG-0001")
    if ingest_file is not None:
        from regshare.core.models import User

        actor = User.objects.filter(username="scjg_liaison").first() or "demo"
        ingest_file(actor, path, resource, mode="replace")
        return
    from regshare.lake import tables

    table = pa.table({k: [r[k] for r in rows] for k in rows[0]})
    tables.write("SCJG-0001", table, mode="replace", key=["uscc"], notify=False)


def run(ctx: DemoContext) -> None:
    from regshare.entities import services

    if ctx.entities <= 0:
        return
    rows = entity_rows(ctx.seed, ctx.entities)
    path = write_csv(rows, Path(settings.REGSHARE_LAKE_DIR).parent / "demo" / "scjg-0001-market-entities.csv")
    load(ctx, rows, path)
    # The hook also does this off-line in the worker; building it here makes the demo usable at once.
    count = services.rebuild_master(actor="demo")
    ctx.data["entity_rows"] = rows
    ctx.data["planted_risk"] = planted_risk(ctx.seed, ctx.entities)
    ctx.echo(f"  法人库:{count} 个市场主体")
