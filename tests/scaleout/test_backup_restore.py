"""``regshare backup`` / ``regshare restore``: a whole installation (database, lake, keys) made by the real
commands in child processes, backed up, restored into an empty place, and found intact there (data, lake
versions, signing key, audit chain)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

MAKE_DATA = """
import json, django
django.setup()
import pyarrow as pa
from regshare.core import audit
from regshare.exchange import receipts
from regshare.lake import tables
for i in range(5):
    audit.record("cli", "test.backup", f"item:{i}", {"n": i, "名称": "备份测试"})
tables.write("BK-0001", pa.table({"uscc": ["91A", "91B"], "n": [1, 2]}), key=["uscc"], notify=False)
tables.write("BK-0001", pa.table({"uscc": ["91B", "91C"], "n": [20, 3]}), mode="merge", key=["uscc"], notify=False)
receipts.private_key()
"""

SHOW = """
import json, django
django.setup()
from regshare.core import audit
from regshare.core.models import AuditRecord
from regshare.exchange import receipts
from regshare.lake import tables
print(json.dumps({
    "audit": [r.target for r in AuditRecord.objects.order_by("seq")],
    "verify": audit.verify().ok,
    "lake": sorted(tables.read("BK-0001").to_pylist(), key=lambda r: r["uscc"]),
    "first": sorted(tables.read("BK-0001", version=0).column("uscc").to_pylist()),
    "versions": [h["version"] for h in tables.history("BK-0001")],
    "public_key": receipts.public_key_text(),
}, ensure_ascii=False))
"""


def place(root: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REGSHARE_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"))}
    env.update(REGSHARE_DATA_DIR=str(root), REGSHARE_LAKE_DIR=str(root / "lake"),
               DJANGO_SETTINGS_MODULE="regshare.settings", PYTHONPATH=str(SRC))
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run(env: dict[str, str], *args: str, code: str | None = None, ok: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "regshare.cli", *args]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert out.returncode == 0, out.stderr[-3000:]
    return out


def restore_and_check(backup: Path, root: Path, database_url: str | None, before: dict) -> dict:
    target = place(root, database_url)
    run(target, "restore", str(backup))
    after = json.loads(run(target, code=SHOW).stdout)
    assert after == before
    assert after["verify"] is True and len(after["audit"]) >= 5
    assert after["lake"] == [{"uscc": "91A", "n": 1}, {"uscc": "91B", "n": 20}, {"uscc": "91C", "n": 3}]
    assert after["versions"] == [1, 0] and after["first"] == ["91A", "91B"]
    assert "OK" in run(target, "audit", "verify").stdout
    key = next((root / "keys").iterdir())
    assert key.stat().st_mode & 0o077 == 0
    return target


@pytest.fixture(scope="module")
def pg_database():
    """Fresh PostgreSQL databases on the machine's server, dropped afterwards."""
    if subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "SELECT 1"],
                      capture_output=True).returncode != 0:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    names = []

    def make() -> str:
        name = f"regshare_bk_{uuid.uuid4().hex[:10]}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        names.append(name)
        return f"postgres://postgres@127.0.0.1:5432/{name}"

    yield make
    for name in names:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name])


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """A SQLite installation with audit records, a two-version lake table and a signing key, backed up
    both ways (SQLite online backup and the dumpdata fallback)."""
    root = tmp_path_factory.mktemp("backup")
    source = place(root / "source")
    run(source, "migrate")
    run(source, code=MAKE_DATA)
    before = json.loads(run(source, code=SHOW).stdout)
    native = json.loads(run(source, "backup", str(root / "native"), "--json").stdout)
    dumped = json.loads(run(source, "backup", str(root / "dumped"), "--method", "dumpdata", "--json").stdout)
    assert native["lake_tables"] == dumped["lake_tables"] == ["BK-0001"]
    assert (native["database_method"], dumped["database_method"]) == ("sqlite", "dumpdata")
    return {"root": root, "source": source, "before": before}


@pytest.mark.slow
def test_sqlite_round_trip(installation, tmp_path):
    root = installation["root"]
    assert (root / "native" / "database" / "regshare.sqlite3").exists()
    assert (root / "native").stat().st_mode & 0o077 == 0
    restore_and_check(root / "native", tmp_path / "target", None, installation["before"])


@pytest.mark.slow
def test_dumpdata_moves_a_sqlite_install_to_postgresql_and_pg_dump_round_trips(installation, tmp_path, pg_database):
    """The fallback keeps microseconds (XML), so the audit chain's hashes still match on the other engine;
    that PostgreSQL installation then goes through pg_dump/pg_restore into another database."""
    before = installation["before"]
    on_pg = restore_and_check(installation["root"] / "dumped", tmp_path / "pg1", pg_database(), before)
    report = json.loads(run(on_pg, "backup", str(tmp_path / "pg-backup"), "--json").stdout)
    assert report["database_method"] == "pg_dump"
    assert (tmp_path / "pg-backup" / "database" / "regshare.dump").exists()
    restore_and_check(tmp_path / "pg-backup", tmp_path / "pg2", pg_database(), before)


@pytest.mark.slow
def test_restore_refuses_a_place_that_is_not_empty_and_a_damaged_backup(installation, tmp_path):
    root, source = installation["root"], installation["source"]
    out = run(source, "restore", str(root / "native"), ok=False)
    assert out.returncode == 2 and "只能恢复到空的位置" in out.stderr
    out = run(source, "backup", str(root / "native"), ok=False)
    assert out.returncode == 2 and "备份目录不是空的" in out.stderr

    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(root / "native", damaged)
    log = next((damaged / "lake" / "BK-0001" / "_delta_log").glob("*.json"))
    log.write_text(log.read_text() + " ")
    target = place(tmp_path / "target")
    out = run(target, "restore", str(damaged), "--check", ok=False)
    assert out.returncode == 2 and "校验和不符" in out.stderr
    out = run(target, "restore", str(damaged), ok=False)
    assert out.returncode == 2 and "校验和不符" in out.stderr
    assert not (tmp_path / "target" / "lake" / "BK-0001").exists()
    assert not (tmp_path / "target" / "keys").exists()
    assert "备份完好" in run(target, "restore", str(root / "native"), "--check").stdout
