"""A command that needs no heavy library does not import one (issue 18: start-up).

The command runs in a child process that writes the names in ``sys.modules`` when it exits; the check
is on those names, not on a duration, so it holds on a loaded machine too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from regshare.core.lazy import HEAVY

SRC = Path(__file__).resolve().parents[1] / "src"
# Besides the analysis libraries: huey imports its Redis and PostgreSQL clients with itself.
NOT_AT_START = (*HEAVY, "huey", "redis")


# The ``regshare`` entry point, plus a note of every module loaded, written at exit (also after --help).
CHILD = """
import atexit, json, sys
atexit.register(lambda: open({listing!r}, "w").write(json.dumps(sorted(sys.modules))))
from regshare.cli import main
sys.exit(main({argv!r}))
"""


def imported_modules(argv: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``regshare *argv`` on the test database (it only reads) and list the modules it imported."""
    env = dict(os.environ, PYTHONPATH=str(SRC), REGSHARE_DATA_DIR=str(tmp_path))
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:  # the test database, not the one DATABASE_URL names (which may not exist)
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    listing = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", CHILD.format(listing=str(listing), argv=argv)], env=env,
                          capture_output=True, text=True, timeout=300)
    return done, set(json.loads(listing.read_text())) if listing.exists() else set()


def heavy_among(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in NOT_AT_START)


@pytest.mark.django_db
def test_workdays_is_imports_no_heavy_library(tmp_path):
    done, modules = imported_modules(["workdays", "is", "2026-10-10"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "workday"
    assert "django.contrib.admin" in modules and "regshare.core.workdays" in modules  # the check saw the run
    assert heavy_among(modules) == []
    if connection.vendor == "sqlite":  # on PostgreSQL Django itself needs psycopg
        assert not [name for name in modules if name.split(".")[0] == "psycopg"]


@pytest.mark.parametrize("argv", [["--help"], [], ["no-such-command"]])
def test_help_and_unknown_commands_list_every_app_command(tmp_path, argv):
    done, _ = imported_modules(argv, tmp_path)
    assert done.returncode in (0, 2), done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    listing = done.stdout + done.stderr
    for command in ("catalog", "entities", "credit", "draw", "ahp", "backup"):
        assert command in listing


def test_an_app_command_loads_only_its_own_commands_module(tmp_path):
    done, modules = imported_modules(["entities", "--help"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rebuild" in done.stdout
    commands = sorted(name for name in modules if name.startswith("regshare.") and name.endswith(".commands"))
    assert commands == ["regshare.entities.commands"]
    assert heavy_among(modules) == []
