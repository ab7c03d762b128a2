"""The ``regshare`` command. Each domain app may add sub-commands in its own ``commands.py``
(a ``register(subparsers)`` function); this module wires them together."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import os
import sys

APPS_WITH_COMMANDS = ("core", "catalog", "ingest", "lake", "exchange", "entities", "credit", "supervision", "risk",
                      "evaluation")
# Which app's ``commands.py`` adds each sub-command: a run imports only the module of its own command
# (tests/core/test_cli.py checks the table against what the modules register). A command missing
# here still works: the parser then loads every app's commands.
APP_OF_COMMAND = {
    "catalog": "catalog",
    "ingest": "ingest", "pull": "ingest", "pull-source": "ingest", "zero-report": "ingest", "duty-remind": "ingest",
    "receipt": "exchange", "package": "exchange",
    "entities": "entities",
    "credit": "credit",
    "draw": "supervision",
    "risk": "risk",
    "ahp": "evaluation", "fuzzy": "evaluation",
    "backup": "lake", "restore": "lake",
}
BUILTIN_COMMANDS = ("serve", "worker", "migrate", "demo", "workdays", "audit")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regshare.settings")
    import django

    django.setup()


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD: {text}") from exc


def _serve(args: argparse.Namespace) -> int:
    import subprocess

    import uvicorn
    from django.conf import settings

    if settings.DEBUG:
        print("警告: 调试模式已开启 (REGSHARE_DEBUG=1),出错页面会显示内部信息,切勿用于生产环境 / "
              "warning: DEBUG is on, never in production", file=sys.stderr)
    worker = None
    if not args.no_worker:
        worker = subprocess.Popen([sys.executable, "-m", "regshare.cli", "worker"])
    try:
        uvicorn.run("regshare.asgi:application", host=args.host, port=args.port, workers=args.workers,
                    log_level="warning")
    finally:
        if worker is not None:
            worker.terminate()
    return 0


def _worker(args: argparse.Namespace) -> int:
    # huey's app is not installed (importing huey loads its Redis and PostgreSQL clients in every
    # process); its consumer command is run from its module.
    from django.core.management import call_command
    from huey.contrib.djhuey.management.commands.run_huey import Command

    call_command(Command(), workers=args.workers, periodic=not args.no_periodic)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    if not args.verbose:
        print("数据库已迁移到最新结构 / database migrated")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from regshare.demo import build

    report = build(seed=args.seed, entities=args.entities, echo=print)
    print(report.logins_text())
    return 0


def _workdays_add(args: argparse.Namespace) -> int:
    from regshare.core import workdays

    print(workdays.add_workdays(args.date, args.days).isoformat())
    return 0


def _workdays_is(args: argparse.Namespace) -> int:
    from regshare.core import workdays

    print("workday" if workdays.is_workday(args.date) else "holiday")
    return 0


def _workdays_year(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from regshare.core import audit
    from regshare.core.models import CalendarYear
    from regshare.core.services import check_calendar_year_entered

    try:
        check_calendar_year_entered(args.year)
    except ValidationError as exc:
        print(f"错误: {exc.messages[0]}", file=sys.stderr)
        return 2
    CalendarYear.objects.update_or_create(year=args.year, defaults={"note": args.note})
    audit.record("cli", "calendar.year", f"year:{args.year}", {"note": args.note})
    print(f"已确认 {args.year} 年节假日录入完成 / year {args.year} marked as entered")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from regshare.core import audit

    result = audit.verify()
    if result.ok:
        print(f"OK {result.count} records")
        return 0
    print(f"BROKEN at record {result.broken_seq}: {result.reason}")
    return 1


def _command_apps(argv: list[str] | None) -> tuple[str, ...]:
    """The apps whose ``commands.py`` the parser needs for ``argv``: none for a built-in command, the
    owner of an app's command, every app for help, an unknown command or no command at all."""
    if argv is None:
        return APPS_WITH_COMMANDS
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command in BUILTIN_COMMANDS:
        return ()
    if command in APP_OF_COMMAND:
        return (APP_OF_COMMAND[command],)
    return APPS_WITH_COMMANDS


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line parser; given the arguments, it loads only the commands module they need."""
    parser = argparse.ArgumentParser(
        prog="regshare", description="市场准入数据共享平台命令行 / regshare command line",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="命令 / commands")

    serve = sub.add_parser("serve", help="启动网页与接口服务 / serve the web UI and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-worker", action="store_true", help="不启动后台任务进程 / no background worker")
    serve.set_defaults(func=_serve)

    worker = sub.add_parser("worker", help="运行后台与定时任务 / run background and periodic tasks")
    worker.add_argument("--workers", type=int, default=2)
    worker.add_argument("--no-periodic", action="store_true",
                        help="不调度定时任务(多台工作进程时) / do not schedule periodic tasks")
    worker.set_defaults(func=_worker)

    migrate = sub.add_parser("migrate", help="迁移数据库结构 / apply database migrations")
    migrate.add_argument("--verbose", action="store_true")
    migrate.set_defaults(func=_migrate)

    demo = sub.add_parser("demo", help="生成演示区县(可重复执行) / build the demo district (idempotent)")
    demo.add_argument("--seed", type=int, default=1, help="随机种子 / random seed")
    demo.add_argument("--entities", type=int, default=5000, help="市场主体数量 / number of market entities")
    demo.set_defaults(func=_demo)

    workdays = sub.add_parser("workdays", help="工作日计算 / working-day calendar")
    wsub = workdays.add_subparsers(dest="workdays_command", metavar="ACTION", required=True)
    add = wsub.add_parser("add", help="起算日后第 N 个工作日 / the N-th working day after DATE")
    add.add_argument("date", type=parse_date)
    add.add_argument("days", type=int)
    add.set_defaults(func=_workdays_add)
    is_ = wsub.add_parser("is", help="是否工作日 / is DATE a working day")
    is_.add_argument("date", type=parse_date)
    is_.set_defaults(func=_workdays_is)
    year = wsub.add_parser("year-add", help="确认某年节假日已手工录入 / mark a year's holidays as entered")
    year.add_argument("year", type=int)
    year.add_argument("--note", default="")
    year.set_defaults(func=_workdays_year)

    audit_cmd = sub.add_parser("audit", help="审计链 / audit chain")
    asub = audit_cmd.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = asub.add_parser("verify", help="校验审计哈希链 / verify the audit hash chain")
    verify.set_defaults(func=_audit_verify)

    apps_to_load = _command_apps(argv)
    if apps_to_load:
        setup_django()  # the commands modules import their app's models
    for app in apps_to_load:
        module_name = f"regshare.{app}.commands"
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    setup_django()
    from django.core.exceptions import ValidationError

    from regshare.core.workdays import CalendarYearUnknown

    try:
        return int(args.func(args) or 0)
    except (CalendarYearUnknown, ValidationError) as exc:
        message = ";".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        print(f"错误 / error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
