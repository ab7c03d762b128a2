import pyarrow as pa
import pytest

from regshare.core.codes import make_uscc
from regshare.core.models import AuditRecord
from regshare.entities import services
from regshare.entities.models import Entity

from .conftest import empty_master


def register_table(rows):
    columns = ["uscc", "name", "legal_rep", "legal_rep_id", "phone", "address", "established", "capital",
               "industry", "status"]
    return pa.table({c: [r.get(c) for r in rows] for c in columns})


A = make_uscc("91360404TE7TA0001")
B = make_uscc("91360404TE7TB0002")


@pytest.fixture
def own_lake(demo, settings, tmp_path):
    """An empty master over an empty lake, even when the shared district was built earlier in the session
    (the deletion is undone with the test's transaction)."""
    settings.REGSHARE_LAKE_DIR = tmp_path
    empty_master()
    return tmp_path


def test_new_version_of_the_register_rebuilds_the_master_through_the_lake_hook(own_lake):
    from regshare.lake import tables

    tables.write("SCJG-0001", register_table([
        {"uscc": A, "name": "九江昊嘉科技有限公司", "legal_rep": "王磊", "established": "2015-03-02", "capital": "100",
         "status": "存续", "address": "江西省九江市柴桑区沙河街道1号"},
        {"uscc": A[:17] + ("0" if A[17] != "0" else "1"), "name": "校验位错误的主体", "status": "存续"},
        {"uscc": B, "name": "九江(柴桑)鑫森建材有限责任公司", "legal_rep": "李娜", "status": "在业"},
    ]), mode="replace", key=["uscc"])
    a = Entity.objects.get(uscc=A)
    assert a.name == "九江昊嘉科技有限公司" and str(a.established) == "2015-03-02" and a.capital == 100
    assert Entity.objects.get(uscc=B).name_norm == "九江柴桑鑫森建材公司"
    assert not Entity.objects.filter(name="校验位错误的主体").exists()
    assert AuditRecord.objects.filter(action="entities.master_rebuilt").exists()

    tables.write("SCJG-0001", register_table([{"uscc": A, "name": "九江昊嘉科技有限公司", "status": "吊销"}]),
                 mode="merge", key=["uscc"])
    a.refresh_from_db()
    assert a.status == "吊销"
    assert Entity.objects.filter(uscc=B).exists()  # merge keeps B in the snapshot


def test_rebuild_without_a_register_table_does_nothing(own_lake):
    assert services.rebuild_master() == 0


@pytest.mark.parametrize("query", ["九江昊嘉", "九江昊嘉科技有限责任公司", A[:13]])
def test_search_by_code_prefix_or_name_variant(own_lake, query):
    services.upsert_master(services.prepare_master(register_table([
        {"uscc": A, "name": "九江昊嘉科技有限公司"}, {"uscc": B, "name": "鑫森建材有限公司"}])), 1)
    assert [e.uscc for e in services.search(query)] == [A]
