"""``regshare draw …``: the public random-inspection draws (list, export the published record, verify)."""

from __future__ import annotations

import argparse
import json
import sys


def _task(ref: str):
    from regshare.supervision.models import InspectionTask

    task = InspectionTask.objects.filter(code=ref).first()
    if task is None and ref.isdigit():
        task = InspectionTask.objects.filter(pk=int(ref)).first()
    if task is None:
        print(f"错误 / error: 没有编号为 {ref} 的抽查任务", file=sys.stderr)
    return task


def _list(args: argparse.Namespace) -> int:
    from django.db.models import Count

    from regshare.supervision.models import InspectionTask

    tasks = InspectionTask.objects.annotate(n=Count("selections")).order_by("created_at", "id")
    rows = [{"task": t.code, "name": t.name, "status": t.status, "objects": t.n} for t in tasks]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for t, row in zip(tasks, rows, strict=True):
        print(f"{row['task']}\t{t.get_status_display()}\t{row['objects']}户\t{row['name']}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from regshare.supervision import services

    task = _task(args.task)
    if task is None:
        return 2
    if not task.pool_sha256:
        print("错误 / error: 该任务尚未抽取", file=sys.stderr)
        return 2
    print(json.dumps(services.published_record(task), ensure_ascii=False))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from regshare.supervision import services

    task = _task(args.task)
    if task is None:
        return 2
    ok, message = services.verify_task(task, args.seed)
    print(f"{'一致 / match' if ok else '不一致 / mismatch'}: {message}")
    return 0 if ok else 1


def register(subparsers) -> None:
    draw = subparsers.add_parser("draw", help="双随机抽查的公开抽取记录 / public random-inspection draws")
    sub = draw.add_subparsers(dest="draw_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="列出抽查任务 / list tasks")
    listing.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    listing.set_defaults(func=_list)
    export = sub.add_parser("export", help="输出公布的抽取记录(JSON)/ print the published record")
    export.add_argument("task", help="任务编号 / task code (or id)")
    export.set_defaults(func=_export)
    verify = sub.add_parser("verify", help="用种子重算并核对抽取结果 / recompute and compare")
    verify.add_argument("task", help="任务编号 / task code (or id)")
    verify.add_argument("--seed", default=None, help="用此种子重算(默认用公布的种子)/ seed to recompute with")
    verify.set_defaults(func=_verify)
