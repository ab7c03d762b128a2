"""CLI: ``regshare backup DIR`` and ``regshare restore DIR`` (database, lake, keys; see ``lake.backup``)."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    backup = subparsers.add_parser("backup", help="备份数据库、数据湖与密钥 / back up database, lake and keys")
    backup.add_argument("dir", help="备份目录(须为空或不存在) / an empty or new folder")
    backup.add_argument("--method", choices=["auto", "native", "dumpdata"], default="auto",
                        help="数据库备份方式: 自动(SQLite 在线备份/pg_dump)、仅自带工具、或 Django dumpdata")
    backup.add_argument("--env-file", default=None,
                        help="一并备份的环境文件(含密钥与口令) / environment file with secrets to include")
    backup.add_argument("--json", action="store_true", help="输出一个 JSON 对象 / print one JSON object")
    backup.set_defaults(func=_backup)

    restore = subparsers.add_parser("restore", help="从备份恢复到空的位置 / restore a backup into an empty place")
    restore.add_argument("dir", help="备份目录 / backup folder")
    restore.add_argument("--env-file", default=None, help="把备份中的环境文件写到此处 / write the saved env file here")
    restore.add_argument("--check", action="store_true", help="只校验备份文件,不恢复 / only verify the backup")
    restore.add_argument("--json", action="store_true", help="输出一个 JSON 对象 / print one JSON object")
    restore.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    from .backup import BackupError, backup

    try:
        report = backup(args.dir, method=args.method, env_file=args.env_file)
    except (BackupError, OSError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(f"已备份到 {report.folder}: 数据库({report.database_method}),数据湖 {len(report.lake_tables)} 张表 "
              f"{report.lake_files} 个文件,其他文件 {report.files} 个,共 {report.bytes} 字节")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from .backup import BackupError, restore, verify

    try:
        if args.check:
            manifest = verify(args.dir)
            print(json.dumps({"ok": True, "files": len(manifest["checksums"])}) if args.json
                  else f"备份完好: {len(manifest['checksums'])} 个文件校验通过")
            return 0
        report = restore(args.dir, env_file=args.env_file)
    except (BackupError, OSError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(f"已恢复: 数据库({report.database_method}),数据湖 {len(report.lake_tables)} 张表,"
              f"其他文件 {report.files} 个;请运行 regshare audit verify 核对审计链")
    return 0
