"""Catalog search benchmark: 50,000 generated resources, 200 mixed Chinese queries.

Prints one JSON line: p50/p95 latency of the search service and of the search API (Django test
client, session-authenticated), the index build and refresh-after-change times, and a baseline
measured in the same run (the naive ORM ``icontains`` search over name and summary).

    .venv/bin/python bench/catalog_search.py            # 50,000 resources
    .venv/bin/python bench/catalog_search.py --small    # 5,000 resources, for a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

SUBJECTS = ["企业", "市场主体", "个体工商户", "农民专业合作社", "食品", "药品", "医疗器械", "化妆品", "特种设备", "计量器具",
            "产品质量", "知识产权", "广告", "价格", "网络交易", "环境", "排污", "安全生产", "危险化学品", "建筑施工",
            "不动产", "住房公积金", "社保", "劳动用工", "纳税", "发票", "城市管理", "户外广告", "12345热线", "旅馆业"]
KINDS = ["登记信息", "许可信息", "行政处罚信息", "监督检查记录", "抽检信息", "备案信息", "信用评价信息", "投诉举报工单",
         "年度报告信息", "名单信息", "统计信息", "注销信息", "变更信息", "事故信息", "整改信息"]
PLACES = ["", "", "", "柴桑区", "城子镇", "港口街镇", "新合镇", "沙河街", "马回岭镇", "江洲镇", "岷山乡", "永安乡"]
FIELD_POOL = ["统一社会信用代码", "企业名称", "法定代表人", "身份证号", "联系电话", "住所", "成立日期", "注册资本", "行业代码",
              "登记状态", "许可证编号", "许可事项", "有效期至", "决定书文号", "处罚种类", "罚款金额", "处罚决定日期",
              "检查日期", "检查结果", "设备注册代码", "样品名称", "检验结论", "工单编号", "诉求内容", "办结日期",
              "纳税信用等级", "参保人数", "不动产单元号", "事故等级", "整改期限"]
QUERIES = ["企业 登记", "行政处罚", "食品 许可", "特种设备", "纳税信用", "社保 参保", "不动产登记", "投诉举报", "安全生产 检查",
           "环境 处罚", "危险化学品 许可", "经营异常", "药品 抽检", "网络交易 监督", "个体工商户 注销", "知识产权",
           "城子镇 企业", "12345 工单", "统一社会信用代码", "处罚决定日期", "建筑施工 事故", "户外广告 许可",
           "医疗器械 备案", "价格 投诉", "企业年度报告", "计量器具 检定", "化妆品 抽检", "排污 许可", "发票", "劳动用工 备案"]
FILTERS = [{}, {}, {}, {"share_type": "unconditional"}, {"grade": "important"}, {"update_frequency": "daily"},
           {"provision": "api"}, {"open_type": "closed"}]


def setup_django(data_dir: str) -> None:
    os.environ["REGSHARE_DATA_DIR"] = data_dir
    os.environ["REGSHARE_LAKE_DIR"] = str(Path(data_dir) / "lake")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regshare.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)


def generate(n: int, rng: random.Random):
    from regshare.catalog.models import (
        Frequency,
        Grade,
        OpenType,
        Provision,
        Resource,
        ResourceField,
        ShareType,
        Status,
    )
    from regshare.catalog.search import bump
    from regshare.core.models import Department, Role, User

    district = Department.objects.create(code="360404", name="柴桑区", level="district", division_code="360404")
    departments = [Department.objects.create(code=f"360404-D{i:02d}", name=f"区第{i}局", short_name=f"第{i}局",
                                             division_code="360404", parent=district) for i in range(12)]
    user = User.objects.create(username="bench", department=departments[0], roles=[Role.ANALYST])
    shares = [(ShareType.UNCONDITIONAL, OpenType.OPEN), (ShareType.UNCONDITIONAL, OpenType.CLOSED),
              (ShareType.CONDITIONAL, OpenType.CLOSED), (ShareType.NONE, OpenType.CLOSED)]
    resources = []
    for i in range(n):
        subject, kind, place = rng.choice(SUBJECTS), rng.choice(KINDS), rng.choice(PLACES)
        share, open_type = rng.choice(shares)
        resources.append(Resource(
            code=f"B{i // 9999:02d}-{i % 9999 + 1:04d}", name=f"{place}{subject}{kind}",
            summary=f"{place or '本区'}{subject}相关的{kind},由{rng.choice(departments).name}在履职中产生,"
                    f"用于{rng.choice(['信用监管', '行政审批', '联合惩戒', '风险预警', '统计分析'])}。",
            provider=rng.choice(departments), share_type=share, open_type=open_type,
            legal_basis="依法不予共享" if share == ShareType.NONE else "",
            grade=rng.choice(Grade.values), update_frequency=rng.choice(Frequency.values),
            provision=rng.choice(Provision.values), status=Status.PUBLISHED if rng.random() < 0.9 else Status.DRAFT))
    Resource.objects.bulk_create(resources, batch_size=2000)
    fields = []
    for resource in Resource.objects.only("id"):
        for position, name in enumerate(rng.sample(FIELD_POOL, 5), 1):
            fields.append(ResourceField(resource=resource, position=position, name=name, code_name=f"f{position}"))
    ResourceField.objects.bulk_create(fields, batch_size=5000)
    bump()
    return user


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="5,000 resources instead of 50,000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    n = 5000 if args.small else 50000
    rng = random.Random(20261122)
    with tempfile.TemporaryDirectory(prefix="regshare-bench-catalog-") as data_dir:
        setup_django(data_dir)
        from django.db.models import Q
        from django.test import Client

        from regshare.catalog import search, services
        from regshare.catalog.models import Resource
        from regshare.core.permissions import Principal

        started = time.perf_counter()
        user = generate(n, rng)
        generate_s = time.perf_counter() - started
        principal = Principal.for_user(user)

        started = time.perf_counter()
        search.get_index()
        build_s = time.perf_counter() - started

        queries = [(rng.choice(QUERIES), rng.choice(FILTERS)) for _ in range(args.queries)]
        service_ms, api_ms, baseline_ms, hits = [], [], [], []
        for query, filters in queries:
            started = time.perf_counter()
            results = services.search_resources(principal, query, filters)
            page = list(results[:20])
            service_ms.append((time.perf_counter() - started) * 1000)
            hits.append(len(results))
            assert page or not len(results)

        client = Client()
        client.force_login(user)
        for query, filters in queries:
            started = time.perf_counter()
            response = client.get("/api/v1/catalog/search", {"q": query, **filters})
            api_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:200]

        for query, filters in queries[:50]:
            started = time.perf_counter()
            condition = Q()
            for term in query.split():
                condition |= Q(name__icontains=term) | Q(summary__icontains=term)
            baseline = Resource.objects.filter(condition, status="published", **filters)
            baseline.count()
            list(baseline.order_by("code")[:20])
            baseline_ms.append((time.perf_counter() - started) * 1000)

        # One resource changes (in another process, say): the next search re-reads the catalog and
        # re-tokenises that resource only.
        changed = Resource.objects.order_by("id").first()
        changed.name = "星河湾企业登记信息"
        changed.save()
        started = time.perf_counter()
        refreshed = services.search_resources(principal, "星河湾")
        refresh_s = time.perf_counter() - started
        assert refreshed.ids[0] == changed.pk

        result = {
            "bench": "catalog_search", "resources": n, "fields": n * 5, "queries": len(queries),
            "generate_s": round(generate_s, 1), "index_build_s": round(build_s, 2),
            "refresh_after_change_s": round(refresh_s, 2),
            "service_p50_ms": round(statistics.median(service_ms), 2),
            "service_p95_ms": round(percentile(service_ms, 0.95), 2),
            "api_p50_ms": round(statistics.median(api_ms), 2), "api_p95_ms": round(percentile(api_ms, 0.95), 2),
            "baseline_icontains_p50_ms": round(statistics.median(baseline_ms), 2),
            "baseline_icontains_p95_ms": round(percentile(baseline_ms, 0.95), 2),
            "api_p95_target_ms": 50, "api_p95_within_target": percentile(api_ms, 0.95) <= 50,
            "speedup_service_vs_baseline_p50": round(statistics.median(baseline_ms) / statistics.median(service_ms), 1),
            "median_hits": int(statistics.median(hits)),
        }
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
