"""``regshare catalog …``: search, daily duties, spreadsheet and DCAT export."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from .models import Demand


def _principal():
    from regshare.core.models import Role, User
    from regshare.core.permissions import Principal

    admin = next((u for u in User.objects.filter(is_active=True) if Role.PLATFORM_ADMIN in u.role_set), None)
    if admin is None:
        print("错误 / error: 没有平台管理员账号 / no platform admin user", file=sys.stderr)
        return None
    return Principal.for_user(admin)


def _search(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from regshare.catalog import services

    principal = _principal()
    if principal is None:
        return 2
    try:
        results = services.search_resources(principal, args.query, {"provider": args.provider or ""})
    except ValidationError as exc:
        print(f"错误 / error: {';'.join(exc.messages)}", file=sys.stderr)
        return 2
    for resource in results[: args.limit]:
        print(f"{resource.code:<12} {resource.name}  [{resource.provider.name} · {resource.get_share_type_display()}"
              f" · {resource.get_status_display()}]")
    return 0


def _daily(args: argparse.Namespace) -> int:
    from regshare.catalog import services

    flagged = services.flag_overdue_obligations(args.date)
    offline = services.complete_retirements(args.date)
    print(json.dumps({"overdue_flagged": len(flagged), "taken_offline": [r.code for r in offline]}, ensure_ascii=False))
    return 0


def _export(args: argparse.Namespace) -> int:
    from regshare.catalog import services, transfer

    principal = _principal()
    if principal is None:
        return 2
    out = Path(args.output)
    if args.kind == "dcat":
        document = transfer.dcat_catalog(args.base_url)
        out.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    elif args.kind == "share":
        resources = services.search_resources(principal).exclude(status="offline")
        out.write_bytes(transfer.export_share_list(principal, resources))
    else:
        out.write_bytes(transfer.export_demand_list(principal, Demand.objects.visible_to(principal)))
    print(f"已写入 / written: {out}")
    return 0


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def register(subparsers) -> None:
    catalog = subparsers.add_parser("catalog", help="数据资源目录 / data resource catalog")
    sub = catalog.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    search = sub.add_parser("search", help="中文检索目录 / search the catalog")
    search.add_argument("query", help="检索词,如「企业 登记」/ query")
    search.add_argument("--provider", default="", help="提供部门编码 / provider department code")
    search.add_argument("--limit", type=int, default=20, help="显示条数 / rows to show")
    search.set_defaults(func=_search)
    daily = sub.add_parser("daily", help="目录更新逾期提醒、过渡期满下线 / overdue duties and due retirements")
    daily.add_argument("--date", type=_date, default=dt.date.today(), help="按此日期执行 / run as of date")
    daily.set_defaults(func=_daily)
    export = sub.add_parser("export", help="导出共享清单、需求清单或 DCAT / export lists or DCAT")
    export.add_argument("kind", choices=["share", "demand", "dcat"], help="share | demand | dcat")
    export.add_argument("output", help="输出文件 / output file")
    export.add_argument("--base-url", default="http://localhost:8000/", help="DCAT 中的平台地址 / base URL for DCAT")
    export.set_defaults(func=_export)
