import pytest

from regshare import cli
from regshare.core import audit
from regshare.core.models import AuditRecord


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out.strip(), out.err.strip()


def test_help_lists_commands_in_chinese_and_english():
    text = cli.build_parser().format_help()
    for command in ("serve", "demo", "migrate", "workdays", "audit"):
        assert command in text
    assert "启动网页与接口服务 / serve the web UI and API" in text


def test_workdays_commands(unconfirmed_years, capsys):
    assert run(capsys, "workdays", "add", "2026-09-30", "2") == (0, "2026-10-09", "")
    assert run(capsys, "workdays", "is", "2026-10-10")[:2] == (0, "workday")
    assert run(capsys, "workdays", "is", "2026-10-03")[:2] == (0, "holiday")
    code, out, err = run(capsys, "workdays", "is", "2027-03-01")
    assert code == 2 and "2027" in err


def test_bad_date_is_a_usage_error(db, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["workdays", "is", "2026-13-01"])
    assert info.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_audit_verify_exit_codes(db, capsys):
    audit.record("system", "x", "t")
    victim = audit.record("system", "y", "t")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and out == f"OK {AuditRecord.objects.count()} records"
    AuditRecord.objects.filter(pk=victim.pk).update(detail='{"forged": true}')
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1 and f"record {victim.seq}" in out


def test_demo_is_idempotent(db, capsys):
    from regshare.core.models import Department, User
    from regshare.demo import build

    build(seed=1, entities=0, steps=("regshare.demo.org", "regshare.demo.catalog"))
    counts = (Department.objects.count(), User.objects.count())
    report = build(seed=1, entities=0, steps=("regshare.demo.org", "regshare.demo.catalog"))
    assert (Department.objects.count(), User.objects.count()) == counts
    names = set(Department.objects.values_list("name", flat=True))
    for name in ("区发改局", "区市场监管局", "区行政审批局", "区数据管理局", "区司法局", "区税务局", "区生态环境局",
                 "区住建局", "区应急管理局", "区人社局", "区城管局", "公安分局"):
        assert name in names
    roles = {role for user in User.objects.all() for role in user.roles}
    assert roles == {"platform_admin", "department_admin", "data_liaison", "reviewer", "leader", "analyst",
                     "inspector", "auditor"}
    assert "admin" in report.logins_text() and "Demo@2026" in report.logins_text()


def test_year_add_refuses_a_year_without_holidays(unconfirmed_years, capsys):
    from regshare.core.models import CalendarYear, WorkdayOverride

    code, _, err = run(capsys, "workdays", "year-add", "2031")
    assert code == 2 and "尚未录入2031年的放假日期" in err
    assert not CalendarYear.objects.filter(year=2031).exists()
    WorkdayOverride.objects.create(date="2031-01-01", is_workday=False, note="元旦")
    code, out, _ = run(capsys, "workdays", "year-add", "2031")
    assert code == 0 and "2031" in out and CalendarYear.objects.filter(year=2031).exists()


def test_every_app_command_is_in_the_table_of_owners():
    """``regshare <command>`` loads only the commands module that APP_OF_COMMAND names for it."""
    import argparse
    import importlib

    for app in cli.APPS_WITH_COMMANDS:
        try:
            module = importlib.import_module(f"regshare.{app}.commands")
        except ModuleNotFoundError:
            continue
        sub = argparse.ArgumentParser().add_subparsers()
        module.register(sub)
        for command in sub.choices:
            assert cli.APP_OF_COMMAND.get(command) == app, f"{command} ({app}) missing from cli.APP_OF_COMMAND"
    assert cli._command_apps(["workdays", "is", "2026-10-10"]) == ()
    assert cli._command_apps(["credit", "check", "--help"]) == ("credit",)
    assert cli._command_apps(["--help"]) == cli.APPS_WITH_COMMANDS
