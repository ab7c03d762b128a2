"""``regshare entities …``: rebuild the master, link a resource."""

from __future__ import annotations

import argparse
import json


def _rebuild(args: argparse.Namespace) -> int:
    from regshare.entities import services

    print(json.dumps({"entities": services.rebuild_master(actor="cli", full=args.full)}, ensure_ascii=False))
    return 0


def _link(args: argparse.Namespace) -> int:
    from regshare.entities import services

    outcome = services.link_resource(args.resource, full=args.full)
    if outcome is None:
        print(f"资源 {args.resource} 不存在、没有数据或没有主体字段 / nothing to link")
        return 2
    print(json.dumps({"exact": len(outcome.exact), "probabilistic": len(outcome.probabilistic),
                      "candidates": outcome.candidates, "unmatched": outcome.unmatched}, ensure_ascii=False))
    return 0


def register(subparsers) -> None:
    entities = subparsers.add_parser("entities", help="法人库 / entity master")
    sub = entities.add_subparsers(dest="entities_command", metavar="ACTION", required=True)
    rebuild = sub.add_parser("rebuild", help="由 SCJG-0001 重建法人库 / rebuild the master from SCJG-0001")
    rebuild.add_argument("--full", action="store_true",
                         help="读取整个当前版本,而非上次应用以来的变化 / the whole snapshot, not the changes")
    rebuild.set_defaults(func=_rebuild)
    link = sub.add_parser("link", help="将某资源的记录关联到市场主体 / link a resource's records to entities")
    link.add_argument("resource", help="资源代码 / resource code")
    link.add_argument("--full", action="store_true",
                      help="关联当前版本的全部记录,而非上次关联以来的变化 / every record, not the changes")
    link.set_defaults(func=_link)
