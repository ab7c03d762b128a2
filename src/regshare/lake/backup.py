"""Backup and restore of one installation: the relational database, the lake and the key files.

A backup is a folder (mode 0700: it holds the platform's private key)::

    manifest.json        what is inside, how the database was dumped, a SHA-256 of every file
    database/            regshare.sqlite3 (SQLite online backup), regshare.dump (pg_dump custom format)
                         or regshare.xml (Django dumpdata, the fallback for other engines / no pg_dump)
    lake/<table>/...     every Delta table: its log first, then its data files
    files/<name>/...     DATA_DIR/keys (receipt signing key), stored uploads, exchange packages, media
    secrets/env          the environment file (REGSHARE_SECRET_KEY, database and S3 passwords) when given

The lake is copied while the platform runs: the log of each table is copied before its data files, and a
commit only ever names files written before it, so every version in the copied log finds its files.
The dumpdata fallback uses the XML format, whose datetimes keep their microseconds: the JSON one cuts
them to milliseconds, which would break the audit chain's hashes.

``restore`` writes into an empty place only (no tables in the database, nothing in the lake or key
folder), checks every file against the manifest first, and leaves the configured place as it was when
a check fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections

from . import tables

FORMAT = 1
CHUNK = 8 * 1024 * 1024
# DATA_DIR sub-folders that hold state the database refers to (besides the lake).
FILE_FOLDERS = ("keys", "ingest", "exchange", "media")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (in Chinese)."""


@dataclass
class Report:
    folder: str
    database_method: str = ""
    lake_tables: list[str] = field(default_factory=list)
    lake_files: int = 0
    files: int = 0
    bytes: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


# ----------------------------------------------------------------------------------------------- lake access
class _LakeStore:
    """The lake's files, local or on object storage, as relative paths ``<table>/<path in table>``."""

    def __init__(self) -> None:
        self.remote = tables.is_remote()
        if self.remote:
            from deltalake._internal import DeltaFileSystemHandler

            self.handler = DeltaFileSystemHandler(tables.lake_url(), tables.storage_options())
        else:
            self.root = Path(tables.lake_url())

    def list(self) -> list[str]:
        if self.remote:
            infos = self.handler.get_file_info_selector("", allow_not_found=True, recursive=True)
            return sorted(i.path for i in infos if i.is_file)
        if not self.root.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def download(self, name: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not self.remote:
            shutil.copyfile(self.root / name, target)
            return
        source = self.handler.open_input_file(name)
        try:
            with open(target, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
        finally:
            source.close()

    def upload(self, source: Path, name: str) -> None:
        if not self.remote:
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, self.root / name)
            return
        out = self.handler.open_output_stream(name, None)
        try:
            with open(source, "rb") as data:
                shutil.copyfileobj(data, out, CHUNK)
        finally:
            out.close()


def _log_first(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: (0 if "/_delta_log/" in f"/{n}" else 1, n))


# ----------------------------------------------------------------------------------------------- database
def _db() -> dict:
    return settings.DATABASES["default"]


def _pg_env(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _method(requested: str) -> str:
    engine = _db()["ENGINE"]
    if requested not in ("auto", "native", "dumpdata"):
        raise BackupError(f"未知的数据库备份方式: {requested}")
    if requested == "dumpdata":
        return "dumpdata"
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql") and shutil.which("pg_dump") and shutil.which("pg_restore"):
        return "pg_dump"
    if requested == "native":
        raise BackupError("本机没有 pg_dump/pg_restore,无法用数据库自带工具备份")
    return "dumpdata"


def _dump_database(folder: Path, method: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    db = _db()
    if method == "sqlite":
        # SQLite's online backup copies a consistent snapshot even while the platform writes (WAL included).
        source = sqlite3.connect(str(db["NAME"]))
        target = sqlite3.connect(str(folder / "regshare.sqlite3"))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    elif method == "pg_dump":
        out = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                              "--file", str(folder / "regshare.dump"), str(db["NAME"])],
                             env=_pg_env(db), capture_output=True, text=True)
        if out.returncode != 0:
            raise BackupError(f"pg_dump 失败: {out.stderr.strip()[:500]}")
    else:
        from django.core.management import call_command

        call_command("dumpdata", format="xml", indent=0, output=str(folder / "regshare.xml"), verbosity=0)


def _database_is_empty() -> bool:
    connection = connections["default"]
    try:
        names = connection.introspection.table_names()
    finally:
        connection.close()
    return not names


def _load_database(folder: Path, method: str) -> None:
    db = _db()
    connections.close_all()
    if method == "sqlite":
        if not db["ENGINE"].endswith("sqlite3"):
            raise BackupError("该备份的数据库是 SQLite 文件,当前配置的不是 SQLite;请用 --method dumpdata 重新备份")
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(str(folder / "regshare.sqlite3"))
        target = sqlite3.connect(str(db["NAME"]))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    elif method == "pg_dump":
        if not db["ENGINE"].endswith("postgresql"):
            raise BackupError("该备份的数据库是 PostgreSQL 转储,当前配置的不是 PostgreSQL")
        out = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                              "--dbname", str(db["NAME"]), str(folder / "regshare.dump")],
                             env=_pg_env(db), capture_output=True, text=True)
        if out.returncode != 0:
            raise BackupError(f"pg_restore 失败: {out.stderr.strip()[:500]}")
    else:
        from django.contrib.contenttypes.models import ContentType
        from django.core.management import call_command
        from django.db import transaction

        call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            # migrate created content types and permissions with ids of its own; the dump brings the
            # original ones, which the other rows refer to.
            ContentType.objects.all().delete()
            call_command("loaddata", str(folder / "regshare.xml"), verbosity=0)
    connections.close_all()


# ----------------------------------------------------------------------------------------------- files
def _data_folders() -> dict[str, Path]:
    data = Path(settings.DATA_DIR)
    folders = {name: data / name for name in FILE_FOLDERS}
    folders["media"] = Path(settings.MEDIA_ROOT)
    return folders


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_empty_folder(path: Path) -> bool:
    return not path.exists() or not any(path.iterdir())


# ----------------------------------------------------------------------------------------------- commands
def backup(folder: str | os.PathLike, *, method: str = "auto", env_file: str | None = None) -> Report:
    """Write a full backup into ``folder`` (created; it must not hold anything yet)."""
    target = Path(folder)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"备份目录不是空的: {target}")
    method = _method(method)
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)
    report = Report(str(target), database_method=method)

    _dump_database(target / "database", method)

    store = _LakeStore()
    names = _log_first(store.list())
    for name in names:
        store.download(name, target / "lake" / name)
    report.lake_files = len(names)
    report.lake_tables = sorted({n.split("/", 1)[0] for n in names if "/_delta_log/" in n})

    for label, source in _data_folders().items():
        if source.exists():
            shutil.copytree(source, target / "files" / label, dirs_exist_ok=True)
    if env_file:
        (target / "secrets").mkdir()
        shutil.copyfile(env_file, target / "secrets" / "env")

    checksums = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        relative = str(path.relative_to(target))
        checksums[relative] = _sha256(path)
        report.bytes += path.stat().st_size
        if relative.startswith("files/"):
            report.files += 1
    manifest = {"format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "database": {"method": method, "engine": _db()["ENGINE"]},
                "lake": {"url": tables.lake_url(), "tables": report.lake_tables},
                "checksums": checksums}
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return report


def _read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"不是有效的备份目录(缺少或无法读取 manifest.json): {source}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式: {manifest.get('format')}")
    return manifest


def verify(folder: str | os.PathLike) -> dict:
    """Check every file of a backup against its manifest; returns the manifest."""
    source = Path(folder)
    manifest = _read_manifest(source)
    for relative, expected in manifest["checksums"].items():
        path = source / relative
        if not path.is_file():
            raise BackupError(f"备份缺少文件: {relative}")
        if _sha256(path) != expected:
            raise BackupError(f"备份文件已损坏(校验和不符): {relative}")
    return manifest


def restore(folder: str | os.PathLike, *, env_file: str | None = None) -> Report:
    """Restore a backup into the configured database, lake and data folder, which must be empty."""
    source = Path(folder)
    manifest = verify(source)
    method = manifest["database"]["method"]
    store = _LakeStore()
    problems = []
    if not _database_is_empty():
        problems.append("数据库中已有数据表")
    if store.list():
        problems.append(f"数据湖 {tables.lake_url()} 中已有文件")
    folders = _data_folders()
    problems += [f"目录 {path} 不是空的" for label, path in folders.items()
                 if (source / "files" / label).exists() and not _is_empty_folder(path)]
    if env_file and Path(env_file).exists():
        problems.append(f"环境文件 {env_file} 已存在")
    if problems:
        raise BackupError("只能恢复到空的位置: " + ";".join(problems))

    report = Report(str(source), database_method=method)
    _load_database(source / "database", method)
    lake_root = source / "lake"
    names = sorted((str(p.relative_to(lake_root)) for p in lake_root.rglob("*") if p.is_file())
                   if lake_root.exists() else [], key=lambda n: (1 if "/_delta_log/" in f"/{n}" else 0, n))
    # Data files before logs on the way back (logs in version order), so no version is without its files.
    for name in names:
        store.upload(lake_root / name, name)
    report.lake_files = len(names)
    report.lake_tables = list(manifest["lake"]["tables"])
    for label, path in folders.items():
        saved = source / "files" / label
        if saved.exists():
            shutil.copytree(saved, path, dirs_exist_ok=True)
            report.files += sum(1 for p in saved.rglob("*") if p.is_file())
    keys = folders["keys"]
    for key_file in keys.rglob("*") if keys.exists() else []:
        if key_file.is_file():
            os.chmod(key_file, 0o600)
    if env_file and (source / "secrets" / "env").exists():
        shutil.copyfile(source / "secrets" / "env", env_file)
        os.chmod(env_file, 0o600)
    return report
