"""Benchmark of the ingest pipeline on a generated 市场主体登记信息 CSV.

    .venv/bin/python bench/ingest.py [--small] [--rows N] [--frictionless-rows N]

Generates ``bench/data/market_entities_<N>.csv`` (about 2% planted defects of every kind the
pipeline checks: USCC check character, forbidden USCC letters, ID-card check digit, future birth
date, mobile, date, enumeration, empty required name, duplicate key) and, in one run, times:

(a) the floor: DuckDB ``count(*)`` over the file;
(b) the full pipeline (``services.ingest_file``, what ``regshare ingest`` runs) into a new Delta
    version, in a child process whose peak RSS is measured (the libraries the load runs on are imported
    before the clock and timed apart, ``b_import_seconds``);
(c) the peer: frictionless ``validate`` with an equivalent Table Schema, on a sample (frictionless
    is row-by-row Python), extrapolated to N rows.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from regshare.lake import engine  # noqa: E402 - every DuckDB connection is opened by the engine module

DATA = ROOT / "bench" / "data"
RESOURCE = "BENCH-0001"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
HEADER = ["统一社会信用代码", "企业名称", "法定代表人", "身份证号", "联系电话", "住所", "成立日期", "注册资本(万元)",
          "行业代码", "登记状态"]
DEFECTS = ("uscc_check", "uscc_letter", "id_check", "id_future", "mobile", "date", "enum", "name_empty",
           "duplicate")


# ----------------------------------------------------------------------------- generation (vectorised)


CHUNK_ROWS = 1_000_000


def generate(rows: int, path: Path, seed: int = 20260101) -> dict:
    """Write the file in chunks of a million rows so that generating 10M rows needs no more memory than 1M."""
    planted: dict = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        for start in range(0, rows, CHUNK_ROWS):
            part = path.with_suffix(f".part{start}")
            counts = _generate_chunk(min(CHUNK_ROWS, rows - start), part, seed + start, start, header=start == 0)
            for k, v in counts.items():
                planted[k] = planted.get(k, 0) + v
            with open(part, "rb") as src:
                while block := src.read(16 << 20):
                    out.write(block)
            part.unlink()
    return planted


def _generate_chunk(rows: int, path: Path, seed: int, start: int, header: bool) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    n = rows
    alpha = np.array(list(ALPHABET))

    # USCC: 9 + 1 (企业) + 360404 + a 9-character organisation code over the GB 32100 alphabet.
    x = ((np.arange(n, dtype=np.int64) + start) * 7919 + 123457) % (31 ** 9)
    org = np.empty((n, 9), dtype=np.int64)
    for k in range(9):
        org[:, 8 - k] = (x // 31 ** k) % 31
    head = [9, 1, 3, 6, 0, 4, 0, 4]
    total = sum(w * d for w, d in zip(USCC_W[:8], head, strict=True)) + (org * np.array(USCC_W[8:])).sum(axis=1)
    check = (31 - total % 31) % 31
    chars = np.concatenate([org, check[:, None]], axis=1)
    uscc = np.char.add("91360404", _join(alpha[chars]))

    # ID card: 360404 + birth date + sequence + check digit.
    birth = np.datetime64("1950-01-01") + rng.integers(0, 365 * 50, n).astype("timedelta64[D]")
    bstr = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "")
    seqno = np.char.zfill(((np.arange(n) + start) % 1000).astype(str), 3)
    body = np.char.add(np.char.add("360404", bstr), seqno)
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17) - 48
    idx = (digits * np.array(ID_W)).sum(axis=1) % 11
    ids = np.char.add(body, np.array(list("10X98765432"))[idx])

    phone = np.char.add("1", np.char.add(rng.choice(list("3456789"), n),
                                         np.char.zfill(rng.integers(0, 10 ** 9, n).astype(str), 9)))
    words1 = np.array(["鑫", "华", "盛", "恒", "嘉", "瑞", "泰", "兴", "达", "宏", "福", "源", "金", "祥", "丰", "安"])
    words2 = np.array(["商贸", "建材", "科技", "餐饮", "物流", "农业", "食品", "医药", "服装", "电子", "文化", "汽修"])
    suffix = np.array(["有限公司", "有限责任公司", "(九江)有限公司", "（柴桑）有限公司", "经营部", "农民专业合作社"])
    name = np.char.add(np.char.add(np.char.add("柴桑区", np.char.add(rng.choice(words1, n), rng.choice(words1, n))),
                                   rng.choice(words2, n)), rng.choice(suffix, n))
    name = np.char.add(name, (np.arange(n) % 997).astype(str))
    surnames = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"))
    given = np.array(["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明"])
    rep = np.char.add(rng.choice(surnames, n), np.char.add(rng.choice(given, n), rng.choice(given, n)))
    towns = np.array(["沙河街镇", "马回岭镇", "江洲镇", "城子镇", "港口街镇", "新合镇", "狮子街道", "岷山乡"])
    address = np.char.add(np.char.add("江西省九江市柴桑区", rng.choice(towns, n)),
                          np.char.add((rng.integers(1, 999, n)).astype(str), "号"))
    est_days = rng.integers(0, 365 * 30, n)
    est_np = np.datetime64("1995-01-01") + est_days.astype("timedelta64[D]")
    est = pa.array(est_np)
    form = rng.integers(0, 100, n)
    est_text = np.asarray(pc.strftime(est, format="%Y-%m-%d").to_numpy(zero_copy_only=False)).astype(str)
    est_text = est_text.astype("U16")
    for lo, hi, fmt, tail in ((70, 80, "%Y/%m/%d", ""), (80, 90, "%Y年%m月%d", "日"), (90, 95, "%Y%m%d", "")):
        sel = (form >= lo) & (form < hi)
        # Arrow's strftime drops a trailing non-ASCII literal, hence the separate tail.
        text = np.asarray(pc.strftime(pa.array(est_np[sel]), format=fmt).to_numpy(zero_copy_only=False)).astype(str)
        est_text[sel] = np.char.add(text, tail)
    serial = form >= 95
    excel = (est_np[serial] - np.datetime64("1899-12-30")).astype(int).astype(str)
    est_text = est_text.astype("U16")
    est_text[serial] = excel
    capital = np.char.mod("%.2f", rng.gamma(2.0, 150.0, n))
    industry = np.char.add(rng.choice(list("ACEFGHIKLMO"), n), np.char.zfill(rng.integers(100, 9999, n).astype(str), 4))
    status = rng.choice(np.array(["存续", "在业", "吊销", "注销"]), n, p=[0.6, 0.25, 0.05, 0.1])

    cols = {"uscc": uscc.astype("U20"), "name": name.astype("U40"), "rep": rep, "ids": ids.astype("U20"),
            "phone": phone.astype("U16"), "address": address, "est": est_text, "capital": capital,
            "industry": industry, "status": status.astype("U8")}
    # ~2% planted defects, every kind equally often.
    bad = rng.choice(n, size=max(len(DEFECTS), n // 50), replace=False)
    planted = {}
    for k, kind in enumerate(DEFECTS):
        sel = bad[k::len(DEFECTS)]
        planted[kind] = len(sel)
        if kind == "uscc_check":
            last = np.char.ljust(cols["uscc"][sel], 18)
            cols["uscc"][sel] = [u[:17] + ("0" if u[17] != "0" else "1") for u in last]
        elif kind == "uscc_letter":
            cols["uscc"][sel] = [u[:12] + "O" + u[13:] for u in cols["uscc"][sel]]
        elif kind == "id_check":
            cols["ids"][sel] = [i[:17] + ("0" if i[17] != "0" else "1") for i in cols["ids"][sel]]
        elif kind == "id_future":
            cols["ids"][sel] = ["360404" + "20990101" + i[14:] for i in cols["ids"][sel]]
        elif kind == "mobile":
            cols["phone"][sel] = "0792-822123"
        elif kind == "date":
            cols["est"][sel] = "2023-02-30"
        elif kind == "enum":
            cols["status"][sel] = "歇业"
        elif kind == "name_empty":
            cols["name"][sel] = ""
        elif kind == "duplicate":
            cols["uscc"][sel] = cols["uscc"][(sel + 1) % n]
    table = pa.table({h: pa.array(cols[c]) for h, c in zip(HEADER, cols, strict=True)})
    with engine.session(tables={"t": table}) as con:
        con.execute(f"COPY t TO '{path}' (FORMAT csv, HEADER {'true' if header else 'false'})")
    return planted


def _join(chars):
    import numpy as np

    out = chars[:, 0]
    for k in range(1, chars.shape[1]):
        out = np.char.add(out, chars[:, k])
    return out


# ----------------------------------------------------------------------------- (a) floor


def floor_count(path: Path) -> tuple[float, int]:
    with engine.session() as con:
        start = time.perf_counter()
        count = con.scalar(f"SELECT count(*) FROM read_csv('{path}', all_varchar = true)")
        elapsed = time.perf_counter() - start
    return elapsed, int(count)


# ----------------------------------------------------------------------------- (b) pipeline, in a child

# The libraries a load runs on, and the task queue it hands the entity linking to. Since the start-up work the
# platform imports them on first use, so a fresh process would pay their import (about half a CPU second) inside
# ``ingest_file``. They are imported before the clock starts and timed on their own (``b_import_seconds``): the
# pipeline's figure stays what it measured on 2026-11-22, when importing the ingest services and ``django.setup()``
# imported them, and frictionless's import is outside its clock too.
LOAD_LIBRARIES = ("duckdb", "pyarrow", "pyarrow.dataset", "pyarrow.parquet", "numpy", "deltalake", "huey")


def child(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regshare.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from regshare.catalog.models import Resource, ResourceField, Status
    from regshare.core.models import Department
    from regshare.demo.catalog import SCJG_0001_FIELDS
    from regshare.ingest import services
    from regshare.lake import tables

    dept, _ = Department.objects.get_or_create(code="BENCH", defaults={"name": "基准测试部门"})
    res, _ = Resource.objects.update_or_create(code=RESOURCE, defaults={"name": "市场主体登记信息(基准)",
                                                                        "provider": dept,
                                                                        "status": Status.PUBLISHED})
    for pos, (name, code_name, data_type, required, key, tag, enum) in enumerate(SCJG_0001_FIELDS, 1):
        ResourceField.objects.update_or_create(resource=res, code_name=code_name, defaults={
            "name": name, "position": pos, "data_type": data_type, "required": required, "is_key": key, "tag": tag,
            "enumeration": enum})
    tables.drop(RESOURCE)
    imports_started = time.perf_counter()
    for name in LOAD_LIBRARIES:
        importlib.import_module(name)
    import_seconds = time.perf_counter() - imports_started
    base_rss = peak_rss_kb()
    stages: dict[str, float] = {}
    last = [time.perf_counter(), "准备"]

    def progress(stage: str, _fraction: float) -> None:
        now = time.perf_counter()
        stages[last[1]] = round(stages.get(last[1], 0) + now - last[0], 3)
        last[:] = [now, stage]

    start = last[0] = time.perf_counter()
    cpu = time.process_time()
    result = services.ingest_file("bench", path, res, progress=progress)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = peak_rss_kb()
    print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "import_seconds": import_seconds, "stages": stages, "peak_rss_mb": peak / 1024, "rss_before_mb": base_rss / 1024,
                      "rows_in": result.rows_in, "rows_loaded": result.rows_loaded,
                      "rows_rejected": result.rows_rejected, "duplicates": result.duplicates,
                      "version": result.version, "quality": result.quality, "accepted": result.accepted}))


def peak_rss_kb() -> int:
    """This process's peak RSS. Linux's ``ru_maxrss`` keeps the parent's peak across fork and exec (a child
    started right after generating the file would report the generator's memory); ``VmHWM`` does not."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_pipeline(path: Path) -> dict:
    env = dict(os.environ)
    env["REGSHARE_DATA_DIR"] = str(DATA / "var")
    env["REGSHARE_LAKE_DIR"] = str(DATA / "lake")
    env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, "--child", str(path)], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- (c) frictionless


def frictionless_schema() -> dict:
    return {
        "fields": [
            {"name": "统一社会信用代码", "type": "string",
             "constraints": {"required": True, "unique": True, "pattern": "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"}},
            {"name": "企业名称", "type": "string", "constraints": {"required": True}},
            {"name": "法定代表人", "type": "string"},
            {"name": "身份证号", "type": "string", "constraints": {"pattern": "[1-9][0-9]{16}[0-9X]"}},
            {"name": "联系电话", "type": "string", "constraints": {"pattern": "1[3-9][0-9]{9}"}},
            {"name": "住所", "type": "string"},
            {"name": "成立日期", "type": "string"},
            {"name": "注册资本(万元)", "type": "number"},
            {"name": "行业代码", "type": "string"},
            {"name": "登记状态", "type": "string", "constraints": {"enum": ["存续", "在业", "吊销", "注销"]}},
        ],
        "primaryKey": ["统一社会信用代码"],
    }


def run_frictionless(path: Path, sample_rows: int) -> tuple[float, int, int]:
    from frictionless import Resource, Schema

    sample = DATA / f"frictionless_sample_{sample_rows}.csv"
    with open(path, encoding="utf-8") as src, open(sample, "w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i > sample_rows:
                break
            out.write(line)
    # frictionless refuses absolute paths unless a basepath is given
    res = Resource(path=sample.name, basepath=str(sample.parent), schema=Schema.from_descriptor(frictionless_schema()))
    start = time.perf_counter()
    report = res.validate(limit_errors=10 ** 9)
    elapsed = time.perf_counter() - start
    errors = len(report.flatten(["rowNumber"]))
    return elapsed, sample_rows, errors


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", action="store_true", help="100,000 rows")
    parser.add_argument("--frictionless-rows", type=int, default=100_000)
    parser.add_argument("--no-frictionless", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    rows = 100_000 if args.small else args.rows
    path = DATA / f"market_entities_{rows}.csv"
    planted = None
    gen_seconds = 0.0
    if not path.exists():
        start = time.perf_counter()
        planted = generate(rows, path)
        gen_seconds = time.perf_counter() - start
    a_seconds, counted = floor_count(path)
    b = run_pipeline(path)
    out = {
        "bench": "ingest", "rows": rows, "file_mb": round(path.stat().st_size / 2 ** 20, 1),
        "generated_seconds": round(gen_seconds, 2) if planted else "cached", "planted_defects": planted,
        "a_duckdb_count_seconds": round(a_seconds, 3), "a_rows_per_s": round(counted / a_seconds),
        "b_pipeline_seconds": round(b["seconds"], 3), "b_cpu_seconds": round(b["cpu_seconds"], 2),
        "b_stage_seconds": b["stages"], "b_rows_per_s": round(rows / b["seconds"]),
        "b_peak_rss_mb": round(b["peak_rss_mb"]), "b_rows_loaded": b["rows_loaded"],
        "b_rows_rejected": b["rows_rejected"], "b_duplicates": b["duplicates"], "b_quality": b["quality"],
        "ratio_b_over_a": round(b["seconds"] / a_seconds, 2), "b_import_seconds": round(b["import_seconds"], 3),
    }
    if not args.no_frictionless:
        sample = min(args.frictionless_rows, rows)
        c_seconds, c_rows, c_errors = run_frictionless(path, sample)
        c_full = c_seconds * rows / c_rows
        out.update({"c_frictionless_sample_rows": c_rows, "c_frictionless_sample_seconds": round(c_seconds, 2),
                    "c_frictionless_errors_in_sample": c_errors,
                    "c_frictionless_seconds_extrapolated": round(c_full, 1),
                    "c_extrapolated": c_rows < rows, "c_rows_per_s": round(c_rows / c_seconds),
                    "ratio_c_over_b": round(c_full / b["seconds"], 1),
                    "ratio_c_over_b_with_imports": round(c_full / (b["seconds"] + b["import_seconds"]), 1)})
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
