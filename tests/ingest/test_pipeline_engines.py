"""The validation and quality pass on every query engine (``query_engine``: DuckDB, then Spark): the same
bodies, the same expected reasons, values and figures. Each test checks many values in one pass, so that
Spark (one local core, one SparkSession for the process) runs only a handful of passes."""

from __future__ import annotations

import datetime as dt
import decimal

import pyarrow.parquet as pq
import pytest

from regshare.ingest import pipeline, readers
from regshare.ingest.rules import FieldSpec, uscc_check_char
from regshare.lake import tables

from .helpers import HEADER, company_row, company_rows, id_card, uscc, write_csv

KEY = FieldSpec("序号", "seq", "integer", True, True)


def run_records(fields: list[FieldSpec], records: list[dict], **options) -> tuple[pipeline.PipelineResult, dict]:
    """The pass over ``records`` (the key ``序号`` numbers them from 0); returns the result and the rows it
    would write, by ``seq``."""
    source = readers.records_to_source(records, [KEY, *fields], "json")
    written: dict = {}

    def write(data, _rows):
        table = data.to_arrow_table() if isinstance(data, pipeline.AcceptedRows) else data
        written.update({r["seq"]: r for r in table.to_pylist()})
        return 0

    result = pipeline.run(source, [KEY, *fields], write=write, **{"max_invalid_fraction": 1.0, **options})
    return result, written


def reasons_by_row(result: pipeline.PipelineResult) -> dict[tuple[int, str], str]:
    return {(e["row"] - 1, e["field"]): e["reason"] for e in result.errors}


def wrong_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


def test_codes_are_checked_alike(query_engine):
    uscc_field = FieldSpec("统一社会信用代码", "uscc", tag="uscc")
    id_field = FieldSpec("身份证号", "id", tag="id_card")
    good_uscc, good_id = uscc(99), id_card(1)
    bad_prefix = "94360402123456789"
    next_year = f"360402{dt.date.today().year + 1}0101001"
    cases = [
        ({"统一社会信用代码": good_uscc, "身份证号": good_id}, None, None),
        ({"统一社会信用代码": " ９１１１００００６０００３７３４１ｌ "}, None, None),
        ({"统一社会信用代码": wrong_check(good_uscc)}, f"统一社会信用代码校验码错误(应为 {good_uscc[17]})", None),
        ({"统一社会信用代码": good_uscc[:10] + "I" + good_uscc[11:]},
         "统一社会信用代码含有标准不允许的字符(只能是数字和除 I、O、Z、S、V 以外的大写字母)", None),
        ({"统一社会信用代码": bad_prefix + uscc_check_char(bad_prefix)}, "统一社会信用代码的登记管理部门代码或机构类别代码无效", None),
        ({"统一社会信用代码": "91A60402123456789X"}, "统一社会信用代码第3-8位应为行政区划码(6位数字)", None),
        ({"统一社会信用代码": "9136040212345678"}, "统一社会信用代码应为18位(实际16位)", None),
        ({"身份证号": wrong_check(good_id)}, None, f"身份证号校验码错误(应为 {good_id[17]})"),
        ({"身份证号": next_year + "X"}, None, "身份证号中的出生日期晚于今天"),
        ({"身份证号": "36040219800230001X"}, None, "身份证号中的出生日期无效"),
        ({"身份证号": "36040219800517001"}, None, "身份证号应为18位(实际17位)"),
        ({"身份证号": id_card(7, dt.date(2000, 2, 29)).lower()}, None, None),
    ]
    result, written = run_records([uscc_field, id_field],
                                  [{"序号": str(i), **values} for i, (values, _, _) in enumerate(cases)])
    reasons = reasons_by_row(result)
    for i, (_values, uscc_reason, id_reason) in enumerate(cases):
        assert (reasons.get((i, "统一社会信用代码")), reasons.get((i, "身份证号"))) == (uscc_reason, id_reason), i
    assert written[0]["uscc"] == good_uscc and written[0]["id"] == good_id
    assert written[1]["uscc"] == "91110000600037341L"
    assert written[11]["id"] == id_card(7, dt.date(2000, 2, 29))
    assert sorted(written) == [0, 1, 11]


DATE_FORMS = ["2023-05-06", "2023/5/6", "2023年5月6日", "20230506", "2023.05.06", "45052", "45052.0",
              "２０２３－０５－０６", "2023-05-06 10:20:30", " 2023年05月06日 "]
BAD_DATES = ["2023-02-30", "明天", "20231345", "5/6/2023"]
DATETIME_FORMS = ["2025-11-22 09:46:00", "2025-11-22T09:46:00", "2025/11/22 09:46", "2025年11月22日 9时46分",
                  "2025年11月22日9时46分0秒", "20251122094600"]
BAD_DATETIMES = ["2025-13-01 08:00", "下午三点", "2025-11-22 08"]


def test_dates_numbers_booleans_enumerations_and_required_values(query_engine):
    fields = [FieldSpec("成立日期", "established", "date"), FieldSpec("办结时间", "finished_at", "datetime"),
              FieldSpec("注册资本", "capital", "decimal"), FieldSpec("人数", "staff", "integer"),
              FieldSpec("是否年报", "reported", "boolean"),
              FieldSpec("登记状态", "status", "enum", required=True, enumeration=("存续", "注销")),
              FieldSpec("法定代表人", "rep")]
    rows: list[tuple[dict, dict, dict]] = []  # (values sent, values expected, reasons expected)
    for raw in DATE_FORMS:
        rows.append(({"成立日期": raw}, {"established": dt.date(2023, 5, 6)}, {}))
    rows.append(({"成立日期": "2023"}, {"established": dt.date(1899, 12, 30) + dt.timedelta(days=2023)}, {}))  # Excel
    for raw in BAD_DATES:
        rows.append(({"成立日期": raw}, {}, {"成立日期": "日期无法识别(可写作 2023-05-06、2023/5/6、2023年5月6日 或 20230506)"}))
    for raw in DATETIME_FORMS:
        rows.append(({"办结时间": raw}, {"finished_at": dt.datetime(2025, 11, 22, 9, 46)}, {}))
    for raw in BAD_DATETIMES:
        rows.append(({"办结时间": raw}, {}, {"办结时间": "日期时间无法识别(可写作 2023-05-06 08:30:00)"}))
    rows += [
        ({"注册资本": "1,234.5", "人数": "42"}, {"capital": decimal.Decimal("1234.5"), "staff": 42}, {}),
        ({"注册资本": "１００", "人数": "1,000"}, {"capital": decimal.Decimal(100), "staff": 1000}, {}),
        ({"注册资本": "1.23456", "人数": "2.5"}, {"capital": decimal.Decimal("1.2346"), "staff": 3}, {}),
        ({"注册资本": "一百", "人数": "٣"}, {}, {"注册资本": "不是有效的数字", "人数": "不是有效的整数"}),
        ({"是否年报": "是"}, {"reported": True}, {}),
        ({"是否年报": "false"}, {"reported": False}, {}),
        ({"是否年报": "也许"}, {}, {"是否年报": "应为 是/否"}),
        ({"登记状态": "吊销"}, {}, {"登记状态": "不在枚举值范围内(可选:存续、注销)"}),
        ({"登记状态": "  "}, {}, {"登记状态": "必填项为空"}),
        ({"法定代表人": "\u00a0张 三\t"}, {"rep": "张 三"}, {}),
        ({"法定代表人": "\ufeff张三\r\n"}, {"rep": "张三"}, {}),
        ({"法定代表人": "\x01张三"}, {"rep": "\x01张三"}, {}),
    ]
    records = [{"序号": str(i), "登记状态": "存续", **sent} for i, (sent, _, _) in enumerate(rows)]
    result, written = run_records(fields, records)
    reasons = reasons_by_row(result)
    for i, (sent, expected, expected_reasons) in enumerate(rows):
        got = {name: reason for (row, name), reason in reasons.items() if row == i}
        assert got == expected_reasons, (sent, got)
        if not expected_reasons:
            assert {k: written[i][k] for k in expected} == expected, sent
    assert result.rows_in == len(rows)
    assert result.rows_rejected == sum(1 for _, _, r in rows if r)


def test_duplicates_rejects_file_and_figures_from_a_csv(query_engine, tmp_path):
    fields = [FieldSpec("统一社会信用代码", "uscc", tag="uscc", required=True, is_key=True),
              FieldSpec("企业名称", "name", tag="company_name", required=True),
              FieldSpec("成立日期", "established", "date"),
              FieldSpec("登记状态", "status", "enum", enumeration=("存续", "注销"))]
    rows = company_rows(6)
    rows[1][HEADER.index("成立日期")] = "明天"
    rows[3][HEADER.index("统一社会信用代码")] = wrong_check(uscc(4))
    rows.insert(4, [""] * len(HEADER))                     # a blank line keeps its number, counts for nothing
    rows.append(company_row(1, 企业名称="九江  华润(柴桑)有限公司"))  # the key of the first row again: the last wins
    path = write_csv(tmp_path / "companies.csv", rows)
    rejects = tmp_path / "rejects.parquet"
    source = readers.open_file(path, fields)
    written = []
    result = pipeline.run(source, fields, max_invalid_fraction=0.5, rejects_path=rejects,
                          write=lambda data, _rows: written.extend(data.to_arrow_table().to_pylist()) or 3)

    # File rows: 1 the header, 2-5 and 7-8 companies 1-6, 6 blank, 9 company 1 again.
    assert (result.rows_in, result.rows_rejected, result.duplicates, result.rows_loaded) == (7, 2, 1, 4)
    assert result.accepted and result.version == 3
    assert result.quality == {"completeness": 1.0, "validity": round(5 / 7, 6), "uniqueness": round(4 / 5, 6)}
    stats = {s["code_name"]: (s["filled"], s["invalid"]) for s in result.field_stats}
    assert stats == {"uscc": (7, 1), "name": (7, 0), "established": (7, 1), "status": (7, 0)}
    bad_date = {"row": 3, "field": "成立日期", "value": "明天",
                "reason": "日期无法识别(可写作 2023-05-06、2023/5/6、2023年5月6日 或 20230506)"}
    bad_code = {"row": 5, "field": "统一社会信用代码", "value": wrong_check(uscc(4)),
                "reason": f"统一社会信用代码校验码错误(应为 {uscc(4)[17]})"}
    assert result.errors == [bad_date, bad_code]
    assert pq.read_table(rejects).to_pylist() == [
        {"row": 2, "field": "统一社会信用代码", "value": uscc(1), "reason": "主键重复,已去重(保留第 9 行)"},
        bad_date, bad_code]
    by_code = {r["uscc"]: r for r in written}
    assert sorted(by_code) == sorted([uscc(1), uscc(3), uscc(5), uscc(6)])
    assert by_code[uscc(1)]["name"] == "九江 华润（柴桑）有限公司"
    assert by_code[uscc(3)]["established"] == dt.date(2020, 1, 2)


def test_too_many_invalid_rows_load_nothing(query_engine):
    spec = FieldSpec("代码", "code", "integer", required=True, is_key=True)
    source = readers.records_to_source([{"代码": v} for v in ["1", "2", "x", "y"]], [spec], "json")
    called = []
    result = pipeline.run(source, [spec], max_invalid_fraction=0.25, write=lambda d, _n: called.append(d) or 0)
    assert not result.accepted and called == []
    assert result.reason == "无效行 2 行,占 50.00%,超过该资源可容忍的 25.00%,本次数据全部未入库"
    assert (result.rows_in, result.rows_rejected) == (4, 2)



def test_accepted_rows_are_committed_as_the_engines_own_parquet_files(query_engine, lake_code):
    fields = [FieldSpec("统一社会信用代码", "uscc", tag="uscc", required=True, is_key=True),
              FieldSpec("成立日期", "established", "date"), FieldSpec("人数", "staff", "integer")]
    records = [{"统一社会信用代码": uscc(i), "成立日期": f"2020-01-{i % 28 + 1:02d}", "人数": str(i)} for i in range(50)]
    source = readers.records_to_source(records, fields, "json")
    exports = []

    def write(data, rows):
        exports.append(type(data).__name__)
        return tables.write(lake_code, data, key=["uscc"], notify=False, rows=rows)

    result = pipeline.run(source, fields, write=write)
    assert exports == ["AcceptedRows"]
    assert result.version == 0 and result.rows_loaded == 50
    stored = sorted(tables.read(lake_code).to_pylist(), key=lambda r: r["staff"])
    assert stored == [{"uscc": uscc(i), "established": dt.date(2020, 1, i % 28 + 1), "staff": i} for i in range(50)]
    assert tables.row_count(lake_code) == 50


def test_a_rule_spark_would_read_otherwise_is_refused_not_run():
    from regshare.lake.spark_sql import UnsupportedRule, rule

    assert rule("regexp_full_match(x, '[0-9]{6}')") == "x RLIKE '^(?:[0-9]{6})\\\\z'"
    with pytest.raises(UnsupportedRule, match="first match"):
        rule("regexp_replace(x, '[0-9]', '')")  # DuckDB replaces the first match only, Spark every one
    with pytest.raises(UnsupportedRule, match="try_cast"):
        rule("try_cast(x AS TIME)")
