"""``regshare ingest … --json`` under either query engine: the same figures, and the report names the engine
the validation and quality pass ran on (``REGSHARE_ENGINE``, see ``ingest.pipeline``)."""

from __future__ import annotations

import json

import pytest

from regshare import cli
from regshare.lake import tables
from tests.ingest.helpers import company_row, company_rows, write_csv


@pytest.fixture
def scjg_0001(demo):
    before = tables.current_version("SCJG-0001")
    saved = tables.read("SCJG-0001") if before is not None else None
    yield "SCJG-0001"
    if saved is None:
        tables.drop("SCJG-0001")
    else:
        tables.write("SCJG-0001", saved, key=["uscc"], notify=False)


def test_ingest_reports_the_same_figures_and_its_engine_whatever_the_setting(scjg_0001, tmp_path, capsys,
                                                                             query_engine):
    rows = company_rows(20)
    rows[2][3] = "360402" + "20991231" + "0011"      # birth date in the future
    rows.append(company_row(5))                      # duplicate key
    path = write_csv(tmp_path / "scjg.csv", rows, encoding="gbk")
    code = cli.main(["ingest", str(path), "--resource", scjg_0001, "--json", "--no-progress"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0, payload
    assert payload["engine"] == query_engine
    assert (payload["rows_in"], payload["rows_loaded"], payload["rows_rejected"], payload["duplicates"]) == \
        (21, 19, 1, 1)
    assert (payload["quality"]["validity"], payload["quality"]["uniqueness"]) == (round(20 / 21, 6), round(19 / 20, 6))
    assert tables.row_count(scjg_0001) == 19
