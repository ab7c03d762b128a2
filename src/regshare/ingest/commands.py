"""CLI: ``regshare ingest PATH --resource CODE``, ``regshare pull --resource CODE``, ``regshare zero-report``."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    ingest = subparsers.add_parser("ingest", help="导入数据文件为资源的新版本 / load a data file into a resource")
    ingest.add_argument("path", help="CSV/XLSX/XLS/JSON/NDJSON 文件 / data file")
    ingest.add_argument("--resource", required=True, help="资源代码 / resource code, e.g. SCJG-0001")
    ingest.add_argument("--mode", choices=["replace", "merge"], default="replace",
                        help="全量替换或按主键合并 / full replace or merge on the key")
    ingest.add_argument("--attach", action="append", default=[], help="Word/PDF 附件 / attachment (repeatable)")
    ingest.add_argument("--json", action="store_true", help="输出一个 JSON 对象 / print one JSON object")
    ingest.add_argument("--no-progress", action="store_true", help="不显示进度条 / no progress bar")
    ingest.set_defaults(func=_ingest)

    pull = subparsers.add_parser("pull", help="从库表或接口增量拉取 / pull new rows from a table or HTTP source")
    pull.add_argument("--resource", required=True, help="资源代码 / resource code")
    pull.add_argument("--full", action="store_true", help="忽略水位全量拉取 / ignore the watermark")
    pull.add_argument("--json", action="store_true", help="输出一个 JSON 对象 / print one JSON object")
    pull.set_defaults(func=_pull)

    source = subparsers.add_parser("pull-source", help="设置库表对接或接口拉取来源 / set a table or HTTP pull source")
    source.add_argument("--resource", required=True, help="资源代码 / resource code")
    source.add_argument("--kind", choices=["table", "api"], required=True, help="库表 table / 接口 api")
    source.add_argument("--url", required=True, help="连接串或接口地址 / SQLAlchemy URL or HTTP URL")
    source.add_argument("--table", default="", help="表名 / table name")
    source.add_argument("--query", default="", help="只读 SELECT(代替表名)/ read-only SELECT instead of a table")
    source.add_argument("--schema", default="", help="模式 / database schema")
    source.add_argument("--watermark", default="", help="水位字段 / watermark column")
    source.add_argument("--records-key", default="", help="接口数据所在键,如 data.rows / where the rows are")
    source.add_argument("--since-param", default="", help="接口水位参数名 / query parameter for the watermark")
    source.add_argument("--page-size", type=int, default=500)
    source.set_defaults(func=_source)

    zero = subparsers.add_parser("zero-report", help="报送零报告 / file a zero report for a month")
    zero.add_argument("--resource", required=True, help="资源代码 / resource code")
    zero.add_argument("--period", required=True, help="月份 YYYY-MM / month")
    zero.add_argument("--note", default="")
    zero.set_defaults(func=_zero)

    remind = subparsers.add_parser("duty-remind", help="发送月度报送提醒 / send monthly reporting reminders")
    remind.set_defaults(func=_remind)


class _Bar:
    """A tqdm bar on stderr driven by the pipeline's (stage, fraction) progress."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=100, file=sys.stderr, unit="%", bar_format="{desc} {bar} {n_fmt}%")

    def __call__(self, stage: str, fraction: float) -> None:
        if self.bar is not None:
            self.bar.set_description_str(stage)
            self.bar.update(max(0, int(fraction * 100) - self.bar.n))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _print_result(result, as_json: bool) -> int:
    code = 0 if result.accepted else 2
    payload = result.as_dict()
    from regshare.lake.engine import engine_name

    payload.setdefault("engine", engine_name())  # the pass ran in this process, on this engine
    if not result.accepted:
        payload["reason"] = result.message
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        print(result.message)
        q = payload.get("quality") or {}
        if q:
            print("质量:完整性 {completeness:.2%} 有效性 {validity:.2%} 唯一性 {uniqueness:.2%}".format(**q))
        for err in payload["errors"][:20]:
            print(f"  第 {err['row']} 行 {err['field']}: {err['reason']}")
    return code


def _ingest(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from regshare.ingest import services

    bar = _Bar(not args.no_progress)
    try:
        result = services.ingest_file(f"cli:{_whoami()}", args.path, args.resource, mode=args.mode,
                                      progress=bar, attachments=args.attach)
    except ValidationError as exc:
        bar.close()
        message = ";".join(exc.messages)
        if args.json:
            print(json.dumps({"rows_in": 0, "rows_loaded": 0, "rows_rejected": 0, "duplicates": 0, "version": None,
                              "quality": {}, "errors": [], "reason": message}, ensure_ascii=False))
        else:
            print(f"错误 / error: {message}", file=sys.stderr)
        return 2
    bar.close()
    return _print_result(result, args.json)


def _pull(args: argparse.Namespace) -> int:
    from regshare.ingest import services

    result = services.pull(f"cli:{_whoami()}", args.resource, full=args.full)
    return _print_result(result, args.json)


def _source(args: argparse.Namespace) -> int:
    from regshare.ingest import services

    config = services.save_source(f"cli:{_whoami()}", args.resource, kind=args.kind, url=args.url, table=args.table,
                                  query=args.query, db_schema=args.schema, watermark_column=args.watermark,
                                  records_key=args.records_key, since_param=args.since_param,
                                  page_size=args.page_size)
    print(f"已设置 / saved: {services.sources.describe(config)}")
    return 0


def _zero(args: argparse.Namespace) -> int:
    from regshare.ingest import services

    report = services.record_zero_report(f"cli:{_whoami()}", args.resource, args.period, args.note)
    print(f"已报送零报告 / zero report filed: {report.resource.code} {report.period:%Y-%m}")
    return 0


def _remind(args: argparse.Namespace) -> int:
    from regshare.ingest import services

    print(f"已发送提醒 {services.send_duty_reminders()} 条 / reminders sent")
    return 0


def _whoami() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"
