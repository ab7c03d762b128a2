"""Record linkage on every query engine (``query_engine``: DuckDB, and Spark on one local core): the same test
bodies, the same links. Spark is slow to start and to run Splink's many small queries, so the Spark set is a
few tests that each link a whole batch at once."""

import pyarrow as pa
import pytest

from regshare.entities import linkage

from .test_linkage import small_master, uscc_of

REGISTERED = [
    ("柴桑区安宏科技股份有限公司", "张三"),
    ("柴桑区丙丁食品有限公司", "李四"),
    ("柴桑区丙戊食品有限公司", "王五"),  # one character from 丙丁: a typo between the two is ambiguous
    ("九江己庚物流有限公司", "赵六", "柴桑区某路9001号"),
]

# record key: (name, legal representative, address, the registered name it must be linked to or None)
BATCH = {
    "form-typo": ("柴桑区安宏科技股晟有限公司", None, None, "柴桑区安宏科技股份有限公司"),
    "trade-typo": ("柴桑区安垚科技股份有限公司", None, None, "柴桑区安宏科技股份有限公司"),
    "place-typo": ("鑫桑区安宏科技股份有限公司", None, None, "柴桑区安宏科技股份有限公司"),
    "same-name-and-rep": ("柴桑区安宏科技股份有限公司", "张三", None, "柴桑区安宏科技股份有限公司"),
    "typo-other-rep": ("柴桑区安垚科技股份有限公司", "王八", None, None),
    "typo-two-entities": ("柴桑区丙垚食品有限公司", None, None, None),
    "place-dropped": ("己庚物流有限公司", "赵六", "柴桑区某路9001号", "九江己庚物流有限公司"),
    "unknown": ("查无此人贸易有限公司", "钱七", None, None),
}


def link_batch() -> dict[str, tuple[str, str, float]]:
    """Every record's (linked entity or "", status, match probability), by record key."""
    master = small_master(REGISTERED)
    batch = pa.table({
        "record_key": list(BATCH),
        "name": [v[0] for v in BATCH.values()],
        "legal_rep": pa.array([v[1] for v in BATCH.values()], pa.string()),
        "address": pa.array([v[2] for v in BATCH.values()], pa.string()),
    })
    best = linkage.link(linkage.prepare(master, "uscc"), linkage.prepare(batch, "record_key"))
    limits = linkage.LinkThresholds()
    found = {}
    for row in best.to_pylist():
        status = linkage.classify(row["match_probability"], row["runner_up"], limits, row["unique_name"])
        found[row["record_id"]] = (row["uscc"] if status == "linked" else "", status, row["match_probability"])
    return found


def test_a_batch_is_linked_alike_on_every_engine(query_engine):
    master = small_master(REGISTERED)
    found = link_batch()
    for key, (_, _, _, registered) in BATCH.items():
        linked_to, status, _ = found.get(key, ("", "unmatched", 0.0))
        if registered:
            assert (linked_to, status) == (uscc_of(master, registered), "linked"), key
        else:
            assert status != "linked", key
    assert found.get("unknown", ("", "unmatched", 0.0))[1] == "unmatched"


def test_spark_gives_duckdbs_probabilities_and_keeps_nothing_cached(settings):
    from regshare.lake.spark import spark_session

    settings.REGSHARE_SPARK_CORES = 1
    settings.REGSHARE_SPARK_DRIVER_MEMORY = "512m"
    settings.REGSHARE_ENGINE = "duckdb"
    on_duckdb = link_batch()
    settings.REGSHARE_ENGINE = "spark"
    context = spark_session().sparkContext
    cached_before = context._jsc.getPersistentRDDs().size()
    on_spark = link_batch()
    assert on_spark.keys() == on_duckdb.keys()
    for key, (uscc, status, probability) in on_duckdb.items():
        assert on_spark[key][:2] == (uscc, status), key
        assert on_spark[key][2] == pytest.approx(probability, rel=1e-9, abs=1e-12), key
    # Splink's intermediate tables and linkage's own are cached in the context every session shares: a
    # linkage that left them there would hold their memory until the process ends.
    assert context._jsc.getPersistentRDDs().size() == cached_before
