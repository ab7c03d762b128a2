"""Rebuilds apply only what changed since the lake version they applied last (issue 18)."""

import json

import pyarrow as pa
import pytest

from regshare import cli
from regshare.core.codes import make_uscc
from regshare.core.models import AuditRecord
from regshare.entities import services
from regshare.entities.models import AppliedVersion, Entity, EntityLink
from regshare.lake import tables

from .conftest import empty_master

CODES = [make_uscc(f"91360404TE7NC{n:04d}") for n in range(6)]


def register(rows):
    columns = ["uscc", "name", "legal_rep", "address", "status"]
    return pa.table({c: [r.get(c) for r in rows] for c in columns})


def entity_rows(names=None):
    names = names or {}
    return [{"uscc": code, "name": names.get(i, f"九江增量测试{i}号科技有限公司"), "legal_rep": f"法人{i}",
             "address": f"江西省九江市柴桑区沙河街道{i}号", "status": "存续"} for i, code in enumerate(CODES)]


def last_audit(action):
    detail = AuditRecord.objects.filter(action=action).order_by("-seq").first().detail
    return json.loads(detail) if isinstance(detail, str) else detail


def last_rebuild():
    return last_audit("entities.master_rebuilt")


@pytest.fixture
def own_lake(demo, settings, tmp_path):
    settings.REGSHARE_LAKE_DIR = tmp_path
    empty_master()
    return tmp_path


def test_a_new_version_changes_only_the_entities_whose_rows_changed(own_lake):
    tables.write("SCJG-0001", register(entity_rows()[:5]), mode="replace", key=["uscc"])  # the hook rebuilds
    assert Entity.objects.count() == 5 and last_rebuild()["mode"] == "full"
    before = {e.uscc: (e.source_version, e.updated_at) for e in Entity.objects.all()}

    rows = entity_rows({1: "九江增量测试改名科技有限公司"})  # row 1 renamed, row 5 new, the others as they were
    version = tables.write("SCJG-0001", register(rows), mode="replace", key=["uscc"])

    detail = last_rebuild()
    assert (detail["mode"], detail["since"], detail["version"], detail["rows"]) == ("increment", 0, version, 2)
    after = {e.uscc: (e.source_version, e.updated_at) for e in Entity.objects.all()}
    assert {code for code in after if after[code] != before.get(code)} == {CODES[1], CODES[5]}
    assert Entity.objects.get(uscc=CODES[1]).name == "九江增量测试改名科技有限公司"
    applied = AppliedVersion.objects.get(consumer=services.MASTER_CONSUMER, resource="SCJG-0001")
    assert (applied.version, applied.mode, applied.table_id) == (version, "increment", tables.table_id("SCJG-0001"))

    assert services.rebuild_master() == 0  # nothing changed since: nothing read


def test_a_dropped_and_reloaded_table_is_rebuilt_in_full(own_lake):
    tables.write("SCJG-0001", register(entity_rows()[:3]), mode="replace", key=["uscc"])
    tables.write("SCJG-0001", register(entity_rows()[:4]), mode="replace", key=["uscc"])
    assert AppliedVersion.objects.get(consumer=services.MASTER_CONSUMER).version == 1

    tables.drop("SCJG-0001")
    # The new table starts again at version 0, below the version recorded: its identifier tells it apart.
    tables.write("SCJG-0001", register(entity_rows({0: "九江重新装载科技有限公司"})[:3]), mode="replace",
                 key=["uscc"])
    detail = last_rebuild()
    assert (detail["mode"], detail["version"], detail["rows"]) == ("full", 0, 3)
    assert Entity.objects.get(uscc=CODES[0]).name == "九江重新装载科技有限公司"
    assert Entity.objects.filter(uscc=CODES[3]).exists()  # entities are never deleted


def test_an_emptied_master_is_rebuilt_from_the_recorded_version(own_lake):
    version = tables.write("SCJG-0001", register(entity_rows()), mode="replace", key=["uscc"])
    Entity.objects.all().delete()
    assert services.rebuild_master() == 6
    assert (last_rebuild()["mode"], last_rebuild()["version"]) == ("full", version)


def test_full_flag_reads_the_whole_snapshot(own_lake, capsys):
    tables.write("SCJG-0001", register(entity_rows()), mode="replace", key=["uscc"])
    assert cli.main(["entities", "rebuild"]) == 0
    assert capsys.readouterr().out.strip() == '{"entities": 0}'
    assert cli.main(["entities", "rebuild", "--full"]) == 0
    assert capsys.readouterr().out.strip() == '{"entities": 6}'
    assert last_rebuild()["mode"] == "full"


def test_linkage_links_only_the_records_added_since_the_last_run(own_lake):
    tables.write("SCJG-0001", register(entity_rows()), mode="replace", key=["uscc"])
    ticket = {"ticket_no": "T1", "uscc": "", "company_name": "九江增量测试1号科技有限公司", "content": "价格投诉"}
    tables.write("CGJ-0001", pa.table({k: [v] for k, v in ticket.items()}), mode="replace", key=["ticket_no"])
    assert set(EntityLink.objects.filter(source="CGJ-0001").values_list("record_key", flat=True)) == {"T1"}
    first = EntityLink.objects.get(source="CGJ-0001", record_key="T1")

    more = [ticket, {**ticket, "ticket_no": "T2", "company_name": "九江增量测试2号科技有限公司"}]
    tables.write("CGJ-0001", pa.table({k: [r[k] for r in more] for k in ticket}), mode="replace", key=["ticket_no"])
    linked = last_audit("entities.linked")
    assert linked["probabilistic"] + linked["candidates"] + linked["unmatched"] == 1  # T2 only
    assert EntityLink.objects.get(source="CGJ-0001", record_key="T1").pk == first.pk  # T1's link untouched
    assert EntityLink.objects.filter(source="CGJ-0001", record_key="T2").exists()

    assert services.link_resource("CGJ-0001", full=True) is not None  # a full run looks at both again
    relinked = last_audit("entities.linked")
    assert relinked["probabilistic"] + relinked["candidates"] + relinked["unmatched"] == 2
