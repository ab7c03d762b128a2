"""The ``regshare ingest`` contract on the demo resource SCJG-0001: one JSON object, exit 0 or 2."""

from __future__ import annotations

import json

import pytest

from regshare import cli
from regshare.lake import tables

from .helpers import company_row, company_rows, write_csv


@pytest.fixture
def scjg_0001(demo):
    """SCJG-0001 as the tests found it: other tests may rely on its lake table, so it is put back."""
    before = tables.current_version("SCJG-0001")
    saved = tables.read("SCJG-0001") if before is not None else None
    yield "SCJG-0001"
    if saved is None:
        tables.drop("SCJG-0001")
    else:
        tables.write("SCJG-0001", saved, key=["uscc"], notify=False)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ingest_json_contract_exit_0(scjg_0001, tmp_path, capsys):
    rows = company_rows(30)
    rows[4][3] = "360402" + "20991231" + "0011"     # birth date in the future
    rows.append(company_row(7))                      # duplicate key
    path = write_csv(tmp_path / "scjg.csv", rows, encoding="gbk")
    before = tables.current_version(scjg_0001)
    code, out, err = run(capsys, "ingest", str(path), "--resource", scjg_0001, "--json")
    assert code == 0, out + err
    payload = json.loads(out)
    assert {"rows_in", "rows_loaded", "rows_rejected", "duplicates", "version", "quality", "errors"} <= set(payload)
    assert (payload["rows_in"], payload["rows_loaded"], payload["rows_rejected"], payload["duplicates"]) == \
        (31, 29, 1, 1)
    assert payload["version"] == (0 if before is None else before + 1)
    assert set(payload["quality"]) >= {"completeness", "validity", "uniqueness"}
    assert all(0 <= payload["quality"][k] <= 1 for k in ("completeness", "validity", "uniqueness"))
    assert payload["errors"] == [{"row": 6, "field": "身份证号", "value": rows[4][3],
                                  "reason": "身份证号中的出生日期晚于今天"}]
    assert "%" in err  # the tqdm progress bar goes to stderr, never into the JSON


def test_ingest_rejected_as_a_whole_exit_2(scjg_0001, tmp_path, capsys):
    rows = company_rows(10)
    for r in rows[:5]:
        r[0] = r[0][:5] + "I" + r[0][6:]
    before = tables.current_version(scjg_0001)
    code, out, _ = run(capsys, "ingest", str(write_csv(tmp_path / "bad.csv", rows)), "--resource", scjg_0001,
                       "--json", "--no-progress")
    assert code == 2
    payload = json.loads(out)
    assert payload["rows_loaded"] == 0 and payload["version"] is None and payload["rows_rejected"] == 5
    assert "超过该资源可容忍的 5.00%" in payload["reason"]
    assert len({e["row"] for e in payload["errors"]}) == 5
    assert tables.current_version(scjg_0001) == before


@pytest.mark.parametrize(("argv", "reason"), [
    (["ingest", "/nonexistent.csv", "--resource", "SCJG-0001"], "文件不存在"),
    (["ingest", "__FILE__", "--resource", "NOPE-1"], "数据资源 NOPE-1 不存在"),
])
def test_ingest_bad_input_exit_2_with_reason(demo, tmp_path, capsys, argv, reason):
    path = write_csv(tmp_path / "x.csv", company_rows(1))
    argv = [str(path) if a == "__FILE__" else a for a in argv]
    code, out, _ = run(capsys, *argv, "--json", "--no-progress")
    assert code == 2 and reason in json.loads(out)["reason"]


def test_zero_report_command(make_resource, capsys):
    resource = make_resource()
    code, out, _ = run(capsys, "zero-report", "--resource", resource.code, "--period", "2026-01")
    assert code == 0 and "2026-01" in out


def test_pull_source_and_pull_commands(make_resource, tmp_path, capsys, allow_egress):
    import sqlite3

    from .helpers import company_rows

    resource = make_resource(provision="table")
    allow_egress(tmp_path)
    db = tmp_path / "d.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE ent (uscc TEXT, name TEXT)")
        conn.executemany("INSERT INTO ent VALUES (?, ?)", [(r[0], r[1]) for r in company_rows(4)])
    code, out, _ = run(capsys, "pull-source", "--resource", resource.code, "--kind", "table",
                       "--url", f"sqlite:///{db}", "--table", "ent")
    assert code == 0 and "ent" in out
    code, out, _ = run(capsys, "pull", "--resource", resource.code, "--json")
    assert code == 0 and json.loads(out)["rows_loaded"] == 4
    code, _, err = run(capsys, "pull-source", "--resource", resource.code, "--kind", "table", "--url", "nonsense",
                       "--table", "ent")
    assert code == 2 and "连接串格式" in err
