"""A file load of the ingest pipeline with the lake on object storage: the engine's Parquet files are uploaded,
committed as a version, and read back from the bucket."""

from __future__ import annotations

import csv

import pytest

from regshare.lake import tables


@pytest.fixture
def s3_resource(demo, s3_lake):
    from regshare.catalog.models import Provision, Resource, ResourceField, Status
    from regshare.core.models import Department
    from regshare.demo.catalog import SCJG_0001_FIELDS

    resource = Resource.objects.create(
        code="S3-LOAD-0001", name="对象存储测试资源", provider=Department.objects.get(code__endswith="SCJG"),
        provision=Provision.FILE, status=Status.PUBLISHED, max_invalid_fraction=0.05, update_frequency="monthly")
    for pos, (name, code_name, data_type, required, key, tag, enumeration) in enumerate(SCJG_0001_FIELDS, 1):
        ResourceField.objects.create(resource=resource, position=pos, name=name, code_name=code_name,
                                     data_type=data_type, required=required, is_key=key, tag=tag,
                                     enumeration=enumeration)
    return resource


def write_rows(path, resource, rows: list[dict]) -> str:
    fields = list(resource.fields.order_by("position"))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([x.name for x in fields])
        for row in rows:
            writer.writerow([row.get(x.code_name, "") for x in fields])
    return str(path)


def test_ingest_writes_versions_into_the_bucket(s3_resource, s3_lake, tmp_path):
    from regshare.ingest import services

    client, bucket = s3_lake
    rows = [{"uscc": u, "name": f"柴桑区测试{i}商贸有限公司"} for i, u in enumerate(_usccs(3))]
    result = services.ingest_file("test", write_rows(tmp_path / "a.csv", s3_resource, rows), s3_resource)
    assert result.accepted, result.message
    assert (result.rows_loaded, result.version) == (3, 0)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="regshare/S3-LOAD-0001/")["Contents"]]
    assert any(k.endswith(".parquet") for k in keys)
    assert sorted(tables.read("S3-LOAD-0001", columns=["uscc"]).column("uscc").to_pylist()) == sorted(_usccs(3))


def _usccs(n: int) -> list[str]:
    from regshare.ingest.rules import uscc_check_char

    bodies = [f"91360402{i:09d}"[:17] for i in range(1, n + 1)]
    return [b + uscc_check_char(b) for b in bodies]
