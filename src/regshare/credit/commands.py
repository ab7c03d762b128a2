"""``regshare credit …``: credit check, list rules, risk classes."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys


def _check(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from regshare.credit import services

    try:
        result = services.check("cli", args.uscc, args.scenario, args.purpose)
    except ValidationError as exc:
        print(f"错误 / error: {';'.join(exc.messages)}", file=sys.stderr)
        return 2
    except Http404 as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    entity = result["entity"]
    payload = {**result, "entity": {"uscc": entity.uscc, "name": entity.name, "status": entity.status}}
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
        return 0
    print(f"{entity.name}({entity.uscc})· 场景:{result['scenario_label']} · 结论:{result['conclusion']}"
          f" · 风险分类:{result['risk_class'] or '未评价'}")
    for m in result["measures"]:
        sources = ";".join(f"{s['list']} {s['decision_no']}" for s in m["sources"])
        print(f"  [{m['kind_label']}] {m['measure']}({m['department']};依据 {m['legal_basis']};来源 {sources})")
    if not result["measures"]:
        print("  该场景下无适用的联合奖惩措施")
    return 0


def _rules(args: argparse.Namespace) -> int:
    from regshare.credit import services

    result = services.apply_list_rules(args.date)
    result["expired_publicity"] = services.expire_publicity(args.date)
    result["annual_report"] = services.apply_annual_report_rule(args.date)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _risk(args: argparse.Namespace) -> int:
    from regshare.credit import scorecard

    print(json.dumps(scorecard.recompute(args.date, actor="cli"), ensure_ascii=False))
    return 0


def _convert(args: argparse.Namespace) -> int:
    from regshare.credit import lists

    result = lists.convert_version(args.resource, actor="cli", full=args.full)
    print(json.dumps(result.as_dict(), ensure_ascii=False, default=str))
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD: {text}") from exc


def register(subparsers) -> None:
    credit = subparsers.add_parser("credit", help="信用监管 / credit supervision")
    sub = credit.add_subparsers(dest="credit_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="信用核查(联合奖惩措施)/ credit check for a scenario")
    check.add_argument("uscc", help="统一社会信用代码 / unified social credit code")
    check.add_argument("--scenario", required=True, help="应用场景,如 政府采购 或 gov_procurement / scenario")
    check.add_argument("--purpose", default="", help="业务事项 / the approval this check serves")
    check.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    check.set_defaults(func=_check)
    rules = sub.add_parser("rules", help="执行名单规则(异常名录满3年转严重违法失信等)/ run list rules")
    rules.add_argument("--date", type=_date, default=dt.date.today())
    rules.set_defaults(func=_rules)
    risk = sub.add_parser("risk", help="重算信用风险分类 A/B/C/D / recompute risk classes")
    risk.add_argument("--date", type=_date, default=dt.date.today())
    risk.set_defaults(func=_risk)
    convert = sub.add_parser("convert", help="名单资源转换为信用名单(SCJG-0003/0004)/ convert a list resource")
    convert.add_argument("resource", help="资源代码 / resource code")
    convert.add_argument("--full", action="store_true",
                         help="转换当前版本的全部记录,而非上次转换以来的变化 / every row, not the changes")
    convert.set_defaults(func=_convert)
