"""Linkage benchmark: N registered entities, M records without a code (planted truth).

Prints one JSON line: time, peak memory, precision and recall of the Splink linkage (auto-accepted
links, and accepted + review candidates), against a baseline measured in the same run (exact join on
the normalised name).

    .venv/bin/python bench/linkage.py                      # 1,000,000 entities, 200,000 records
    .venv/bin/python bench/linkage.py --small              # 50,000 / 10,000
    .venv/bin/python bench/linkage.py --entities 200000 --records 40000
    .venv/bin/python bench/linkage.py --engine spark --entities 20000 --records 4000

``--engine spark`` links on Spark (``REGSHARE_SPARK_CORES``, ``REGSHARE_SPARK_DRIVER_MEMORY`` as in the app) and
also on DuckDB in the same run: the JSON line then has the Spark figures, the DuckDB time, their ratio, the
JVM's peak memory and whether both engines classified every record alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402
from faker import Faker  # noqa: E402

from regshare.core.codes import USCC_CHARSET, make_uscc  # noqa: E402
from regshare.entities import linkage  # noqa: E402

REGIONS = ["九江", "柴桑区", "九江市柴桑区", "江西", "", "", "浔阳区", "濂溪区"]
TRADES = ["科技", "商贸", "建设工程", "食品", "餐饮", "商务咨询", "物流", "建材", "家政服务", "技术服务",
          "汽车销售", "房地产开发", "医疗器械", "农业开发", "电子", "服装", "印刷", "机械设备"]
FORMS = ["有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司"]
STREETS = ["沙河街道", "城子镇", "港口街镇", "新合镇", "狮子街道", "永安乡", "江洲镇", "岷山乡", "涌泉乡", "马回岭镇"]
TYPO = "鑫森淼焱垚晟昊华盛兴隆达通"


def generate(n: int, m: int, seed: int = 7) -> tuple[pa.Table, pa.Table, dict[str, str]]:
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    chars = "".join(sorted(set("".join(fake.company_prefix() for _ in range(3000)))))
    surnames = [fake.last_name() for _ in range(400)]
    given = [fake.first_name() for _ in range(1500)]
    roads = [fake.street_name() for _ in range(3000)]
    names, codes, reps, addresses, established = [], [], [], [], []
    seen = set()
    while len(names) < n:
        name = (rng.choice(REGIONS) + "".join(rng.choice(chars) for _ in range(rng.choice((2, 2, 3))))
                + rng.choice(TRADES) + rng.choice(FORMS))
        if name in seen:
            continue
        seen.add(name)
        names.append(name)
        codes.append(make_uscc("91360404" + "".join(rng.choice(USCC_CHARSET) for _ in range(9))))
        reps.append(rng.choice(surnames) + rng.choice(given))
        addresses.append(f"江西省九江市柴桑区{rng.choice(STREETS)}{rng.choice(roads)}{rng.randint(1, 999)}号")
        established.append(f"{rng.randint(1995, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    master = pa.table({"uscc": codes, "name": names, "legal_rep": reps, "address": addresses,
                       "established": established})
    rec_ids, rec_names, rec_reps, rec_addr, truth = [], [], [], [], {}
    for j in range(m):
        i = rng.randrange(n)
        name = names[i]
        r = rng.random()
        if r < 0.2:
            name = name.replace("有限公司", "有限责任公司") if name.endswith("有限公司") else name + " "
        elif r < 0.3:
            name = name.replace("九江", "九江(") + ")" if "九江" in name else " ".join(name[:4]) + name[4:]
        elif r < 0.5:
            k = rng.randrange(len(name) - 4) if len(name) > 5 else 0
            name = name[:k] + rng.choice(TYPO) + name[k + 1:]
        elif r < 0.6:
            for region in ("九江市柴桑区", "柴桑区", "九江"):
                if name.startswith(region):
                    name = name[len(region):]
                    break
            else:
                name = "柴桑区" + name
        key = f"R{j}"
        rec_ids.append(key)
        rec_names.append(name)
        rec_reps.append(reps[i] if rng.random() < 0.8 else None)
        address = addresses[i] if rng.random() < 0.7 else None
        if address and rng.random() < 0.05:
            address = address[:-2] + str(rng.randint(1, 9)) + "号"
        rec_addr.append(address)
        truth[key] = codes[i]
    records = pa.table({"record_key": rec_ids, "name": rec_names, "legal_rep": rec_reps, "address": rec_addr,
                        "established": pa.nulls(m, pa.string())})
    return master, records, truth


def score(pairs: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    correct = sum(1 for k, v in pairs.items() if truth.get(k) == v)
    precision = correct / len(pairs) if pairs else 1.0
    return precision, correct / len(truth)


def classified(best: pa.Table) -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, str]]]:
    """Automatic links, review candidates, and every record's (entity, status)."""
    limits = linkage.LinkThresholds()
    auto, review, every = {}, {}, {}
    for rid, uscc, prob, runner, unique in zip(*(best.column(c).to_pylist() for c in (
            "record_id", "uscc", "match_probability", "runner_up", "unique_name")), strict=True):
        status = linkage.classify(prob, runner, limits, unique)
        every[rid] = (uscc, status)
        if status == "linked":
            auto[rid] = uscc
        elif status == "candidate":
            review[rid] = uscc
    return auto, review, every


def jvm_peak_mb() -> float | None:
    """Peak resident memory of the Spark driver's JVM (a child process the Python side's figure omits)."""
    from regshare.lake.spark import spark_session

    process = getattr(spark_session().sparkContext._gateway, "proc", None)
    if process is None:
        return None
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    args = parser.parse_args()
    if args.small:
        args.entities, args.records = 50_000, 10_000
    t0 = time.perf_counter()
    master, records, truth = generate(args.entities, args.records)
    gen_s = time.perf_counter() - t0

    prepared_master = linkage.prepare(master, "uscc")
    prepared_records = linkage.prepare(records, "record_key")

    t1 = time.perf_counter()
    con = duckdb.connect()
    con.register("m", prepared_master)
    con.register("r", prepared_records)
    base = dict(con.sql("""SELECT r.unique_id, any_value(m.unique_id) FROM r JOIN m USING (name_norm)
                           GROUP BY r.unique_id HAVING count(*) = 1""").fetchall())
    base_s = time.perf_counter() - t1
    base_p, base_r = score(base, truth)

    engines = {}
    if args.engine == "spark":
        os.environ["REGSHARE_ENGINE"] = "duckdb"
        t_duck = time.perf_counter()
        on_duckdb = classified(linkage.link(prepared_master, prepared_records))[2]
        engines["duckdb_link_s"] = round(time.perf_counter() - t_duck, 1)
        from regshare.lake.spark import spark_session

        spark_session()  # started before the clock: the JVM's start is not the linkage's time
    os.environ["REGSHARE_ENGINE"] = args.engine
    t2 = time.perf_counter()
    best = linkage.link(prepared_master, prepared_records)
    link_s = time.perf_counter() - t2
    auto, review, every = classified(best)
    if args.engine == "spark":
        engines["link_s_vs_duckdb"] = round(link_s / max(engines["duckdb_link_s"], 0.1), 1)
        engines["same_links_as_duckdb"] = every == on_duckdb
        jvm = jvm_peak_mb()
        engines["jvm_peak_rss_mb"] = round(jvm) if jvm is not None else None
    p, r = score(auto, truth)
    _, r_review = score({**auto, **review}, truth)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "bench": "linkage", "engine": args.engine, **engines, "entities": args.entities, "records": args.records,
        "generate_s": round(gen_s, 1), "link_s": round(link_s, 1), "peak_rss_mb": round(peak_mb),
        "precision": round(p, 4), "recall": round(r, 4), "review_candidates": len(review),
        "recall_with_review": round(r_review, 4),
        "baseline_exact_name": {"s": round(base_s, 2), "precision": round(base_p, 4), "recall": round(base_r, 4)},
        "recall_vs_baseline": round(r / base_r, 2) if base_r else None,
        "targets_met": p >= 0.98 and r >= 0.95 and link_s <= 300,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
