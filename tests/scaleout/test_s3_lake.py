"""The lake on S3-compatible object storage: every write and read goes to the bucket, commits are safe
against a concurrent writer (conditional puts), and DuckDB reads the versions back."""

from __future__ import annotations

import threading

import duckdb
import pyarrow as pa
import pytest

from regshare.lake import tables
from regshare.lake.tables import LakeError


def keys_in(client, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def test_write_read_back_through_duckdb(s3_lake, tmp_path, settings):
    client, bucket = s3_lake
    settings.REGSHARE_LAKE_DIR = tmp_path / "local-lake"
    v0 = tables.write(
        "S3-A", pa.table({"uscc": ["91A", "91B"], "capital": [10, 20]}), key=["uscc"], notify=False
    )
    v1 = tables.write(
        "S3-A",
        pa.table({"uscc": ["91B", "91C"], "capital": [25, 30]}),
        mode="merge",
        key=["uscc"],
        notify=False,
    )
    assert (v0, v1) == (0, 1)

    con = duckdb.connect()
    con.register("current", tables.dataset("S3-A"))
    con.register("first", tables.dataset("S3-A", version=0))
    assert con.execute("SELECT uscc, capital FROM current ORDER BY uscc").fetchall() == [
        ("91A", 10),
        ("91B", 25),
        ("91C", 30),
    ]
    assert con.execute("SELECT sum(capital) FROM first").fetchone() == (30,)
    assert tables.changes("S3-A", 0).sort_by("uscc").to_pylist() == [
        {"uscc": "91B", "capital": 25, "_change_type": "update"},
        {"uscc": "91C", "capital": 30, "_change_type": "insert"},
    ]
    assert [h["version"] for h in tables.history("S3-A")] == [1, 0]

    # Everything is in the bucket; nothing went to the local lake folder.
    stored = keys_in(client, bucket, "regshare/S3-A/")
    assert "regshare/S3-A/_delta_log/00000000000000000001.json" in stored
    assert any(k.endswith(".parquet") for k in stored)
    assert not (tmp_path / "local-lake").exists()
    with pytest.raises(LakeError):
        tables.table_path("S3-A")


def test_engine_written_parquet_is_uploaded_and_committed(s3_lake):
    """The ingest path: DuckDB writes Parquet files that the lake commits as they are."""
    from regshare.ingest.pipeline import AcceptedRows

    con = duckdb.connect()
    con.execute("CREATE TABLE rows AS SELECT 'U' || i AS uscc, i AS n FROM range(5000) t(i)")
    version = tables.write("S3-B", AcceptedRows(con, "SELECT * FROM rows"), key=["uscc"], notify=False)
    assert version == 0
    assert tables.row_count("S3-B") == 5000
    assert tables.history("S3-B")[0]["rows"] is None or tables.history("S3-B")[0]["rows"] == 5000
    reader = duckdb.connect()
    reader.register("t", tables.dataset("S3-B"))
    assert reader.execute("SELECT count(*), sum(n), min(uscc) FROM t").fetchone() == (
        5000,
        sum(range(5000)),
        "U0",
    )


def test_two_concurrent_commits_both_land(s3_lake):
    tables.write("S3-C", pa.table({"k": ["base"], "v": [0]}), key=["k"], notify=False)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    versions: list[int] = []

    def writer(name: str) -> None:
        start.wait()
        try:
            versions.append(
                tables.write("S3-C", pa.table({"k": [name], "v": [1]}), mode="merge", key=["k"], notify=False)
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(versions) == [1, 2]
    assert sorted(tables.read("S3-C").column("k").to_pylist()) == ["base", "left", "right"]


def test_concurrent_replaces_never_share_a_version(s3_lake):
    """Two full replaces racing for the same version: both commit, one after the other, and the table
    is exactly one of them (never a mix)."""
    tables.write("S3-D", pa.table({"k": ["base"]}), notify=False)
    start = threading.Barrier(2)
    versions: list[int] = []

    def writer(name: str) -> None:
        start.wait()
        versions.append(tables.write("S3-D", pa.table({"k": [name, name + "-2"]}), notify=False))

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(versions) == [1, 2]
    assert sorted(tables.read("S3-D").column("k").to_pylist()) in (["left", "left-2"], ["right", "right-2"])
    assert {h["version"] for h in tables.history("S3-D")} == {0, 1, 2}


def test_unsafe_rename_is_never_passed_and_conditional_put_always_is(s3_lake, settings):
    settings.REGSHARE_LAKE_STORAGE_OPTIONS = dict(
        settings.REGSHARE_LAKE_STORAGE_OPTIONS, AWS_S3_ALLOW_UNSAFE_RENAME="true"
    )
    options = tables.storage_options()
    assert "AWS_S3_ALLOW_UNSAFE_RENAME" not in options
    assert options["conditional_put"] == "etag"


def test_drop_removes_the_table_from_the_bucket(s3_lake):
    client, bucket = s3_lake
    tables.write("S3-E", pa.table({"k": ["a"]}), notify=False)
    tables.write("S3-F", pa.table({"k": ["b"]}), notify=False)
    tables.drop("S3-E")
    assert not tables.exists("S3-E")
    assert keys_in(client, bucket, "regshare/S3-E/") == []
    assert tables.read("S3-F").column("k").to_pylist() == ["b"]


def test_a_writer_on_a_stale_snapshot_does_not_overwrite_the_newer_commit(s3_lake):
    """The property that makes S3 commits safe: a writer that read version 0 and commits after someone
    else's version 1 gets "version 1 exists" from the store (conditional put) and lands as version 2,
    instead of replacing the other writer's log entry (what an unconditional put would do)."""
    from deltalake import DeltaTable, write_deltalake

    tables.write("S3-G", pa.table({"k": ["base"]}), notify=False)
    uri, options = tables.table_uri("S3-G"), tables.storage_options()
    stale = DeltaTable(uri, storage_options=options)
    assert stale.version() == 0
    write_deltalake(uri, pa.table({"k": ["first"]}), mode="append", storage_options=options)
    write_deltalake(stale, pa.table({"k": ["second"]}), mode="append")
    assert tables.current_version("S3-G") == 2
    assert sorted(tables.read("S3-G").column("k").to_pylist()) == ["base", "first", "second"]
    assert sorted(tables.read("S3-G", version=1).column("k").to_pylist()) == ["base", "first"]


def test_backup_copies_a_lake_on_object_storage_to_another_bucket(s3_lake, s3_server, settings, tmp_path):
    """The lake part of ``regshare backup``/``restore`` with the lake in a bucket: log first on the way out,
    data first on the way back, every version readable in the new bucket."""
    from regshare.lake import backup

    client, _ = s3_lake
    tables.write("S3-H", pa.table({"k": ["a", "b"]}), notify=False)
    tables.write("S3-H", pa.table({"k": ["c"]}), notify=False)
    store = backup._LakeStore()
    names = backup._log_first(store.list())
    assert names[0].startswith("S3-H/_delta_log/") and names[-1].endswith(".parquet")
    for name in names:
        store.download(name, tmp_path / name)

    client.create_bucket(Bucket="lake-restored")
    settings.REGSHARE_LAKE_URL = "s3://lake-restored/regshare"
    target = backup._LakeStore()
    assert target.list() == []
    for name in sorted(names, key=lambda n: ("/_delta_log/" in n, n)):
        target.upload(tmp_path / name, name)
    assert tables.read("S3-H").column("k").to_pylist() == ["c"]
    assert sorted(tables.read("S3-H", version=0).column("k").to_pylist()) == ["a", "b"]
