"""``regshare risk …``: score, train, top scores and association paths."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD: {text}") from exc


def _print(payload, as_json: bool, lines: list[str]) -> None:
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        print("\n".join(lines))


def _score(args: argparse.Namespace) -> int:
    from regshare.risk import services

    result = services.score("cli", args.date)
    _print(result, args.json, [f"模型 v{result['model_version']} 评分完成:" + ",".join(
        f"{k}类 {v}" for k, v in result["levels"].items()) + f";新预警 {result['alerts']} 条"])
    return 0


def _train(args: argparse.Namespace) -> int:
    from regshare.risk import services

    version = services.train("cli", args.date)
    payload = {"version": version.version, "trained_on": version.trained_on, "train_cut": version.train_cut,
               "holdout_cut": version.holdout_cut, "train_rows": version.train_rows,
               "holdout_rows": version.holdout_rows, "positive_rate": version.positive_rate, "auc": version.auc,
               "ks": version.ks, "precision_at_k": version.precision_at_k}
    _print(payload, args.json, [f"模型 v{version.version}:留出样本 {version.holdout_rows} 户,AUC {version.auc}, "
                                f"KS {version.ks},前K名精确率 {version.precision_at_k}"])
    return 0


def _top(args: argparse.Namespace) -> int:
    from regshare.core import audit
    from regshare.risk import services

    if args.limit < 1:
        print("错误 / error: --limit 应为正整数", file=sys.stderr)
        return 2
    rows = services.top(args.limit)
    audit.record("cli", "risk.top_viewed", "risk:scores", {"limit": args.limit, "rows": len(rows)})
    _print(rows, args.json, [f"{r['score']:5.1f} {r['level']} {r['uscc']} {r['name']} "
                             + ";".join(x["text"] for x in r["reasons"]) for r in rows])
    return 0


def _links(args: argparse.Namespace) -> int:
    from regshare.core import audit
    from regshare.core.codes import clean_uscc
    from regshare.entities.models import Entity
    from regshare.risk import graph, services

    uscc = clean_uscc(args.uscc)
    if args.hops < 1 or args.hops > 4:
        print("错误 / error: --hops 应在 1 到 4 之间", file=sys.stderr)
        return 2
    if not Entity.objects.filter(uscc=uscc).exists():
        print(f"错误 / error: 法人库中没有统一社会信用代码为 {uscc} 的市场主体", file=sys.stderr)
        return 2
    paths = graph.paths(uscc, args.hops, listed_only=not args.all)
    audit.record("cli", "risk.links_viewed", f"entity:{uscc}", {"hops": args.hops, "paths": len(paths)})
    _print({"uscc": uscc, "paths": paths}, args.json, [services.path_text(p) for p in paths] or ["无关联失信主体"])
    return 0


def register(subparsers) -> None:
    risk = subparsers.add_parser("risk", help="风险预警 / risk warning")
    sub = risk.add_subparsers(dest="risk_command", metavar="ACTION", required=True)
    score = sub.add_parser("score", help="重算全部市场主体风险评分并生成预警 / score every entity")
    score.add_argument("--date", type=_date, default=None, help="评价日 / as of (YYYY-MM-DD)")
    score.add_argument("--json", action="store_true")
    score.set_defaults(func=_score)
    train = sub.add_parser("train", help="训练新版本风险模型 / train a new model version")
    train.add_argument("--date", type=_date, default=None, help="训练日 / as of (YYYY-MM-DD)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(func=_train)
    top = sub.add_parser("top", help="风险分最高的市场主体 / highest scores")
    top.add_argument("--limit", type=int, default=20)
    top.add_argument("--json", action="store_true")
    top.set_defaults(func=_top)
    links = sub.add_parser("links", help="关联路径 / association paths to listed entities")
    links.add_argument("uscc")
    links.add_argument("--hops", type=int, default=2)
    links.add_argument("--all", action="store_true", help="列出全部关联主体,不限于失信主体 / every linked entity")
    links.add_argument("--json", action="store_true")
    links.set_defaults(func=_links)
