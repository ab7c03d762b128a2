"""Cleaning and validation rules, run through the real pipeline SQL over a small Arrow source."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from regshare.ingest import pipeline, readers
from regshare.ingest.rules import (
    USCC_AUTHORITIES,
    FieldSpec,
    expected_check_chars,
    id_card_is_valid,
    match_columns,
    uscc_check_char,
    uscc_is_valid,
)

from .helpers import id_card, uscc


def check(spec: FieldSpec, values: list) -> tuple[list, list]:
    """Run the pipeline over one column; return (typed values written, reasons per input row)."""
    key = FieldSpec("序号", "seq", "integer", True, True)
    source = readers.records_to_source([{"序号": str(i), spec.name: v} for i, v in enumerate(values)],
                                       [key, spec], "json")
    written = {}

    def write(data, _rows):
        table = data.to_arrow_table() if isinstance(data, pipeline.AcceptedRows) else data
        written.update({r["seq"]: r[spec.code_name] for r in table.to_pylist()})
        return 0

    result = pipeline.run(source, [key, spec], max_invalid_fraction=1.0, write=write)
    reasons = {e["row"] - 1: e["reason"] for e in result.errors if e["field"] == spec.name}
    return [written.get(i) for i in range(len(values))], [reasons.get(i) for i in range(len(values))]


USCC_FIELD = FieldSpec("统一社会信用代码", "uscc", "string", tag="uscc")


@pytest.mark.parametrize(("authority", "category"),
                         [(a, c) for a, cats in USCC_AUTHORITIES.items() for c in cats])
def test_uscc_accepts_every_registering_authority_and_category(authority, category):
    code = uscc(12345, prefix=authority + category)
    values, reasons = check(USCC_FIELD, [code])
    assert reasons == [None] and values == [code]
    assert uscc_is_valid(code)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_uscc_rejects_letters_the_standard_forbids(letter):
    code = uscc(7)[:10] + letter + uscc(7)[11:]
    _, reasons = check(USCC_FIELD, [code])
    assert "不允许的字符" in reasons[0]
    assert not uscc_is_valid(code)


def test_uscc_wrong_check_character_names_the_right_one():
    good = uscc(99)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    _, reasons = check(USCC_FIELD, [wrong])
    assert reasons[0] == f"统一社会信用代码校验码错误(应为 {good[17]})"


@pytest.mark.parametrize(("code", "reason"), [
    ("9136040212345678", "应为18位"),
    ("B1360402123456789X", "登记管理部门代码或机构类别代码无效"),
    ("94360402123456789X", "登记管理部门代码或机构类别代码无效"),
    ("91A60402123456789X", "行政区划码"),
])
def test_uscc_structure(code, reason):
    code = code if len(code) != 18 else code[:17] + uscc_check_char(code[:17])
    _, reasons = check(USCC_FIELD, [code])
    assert reason in reasons[0]


def test_uscc_known_real_code_and_full_width_input():
    real = "91110000600037341L"  # the worked example in python-stdnum
    values, reasons = check(USCC_FIELD, [real, " ９１１１００００６０００３７３４１ｌ "])
    assert reasons == [None, None] and values == [real, real]


# The single-value and vectorised forms of the code rules: tests/core/test_codes.py.


def test_vectorised_checks_on_whole_chunks_of_one_kind():
    good_codes = [uscc(i) for i in range(3000)]  # more than one DuckDB vector, all well formed
    assert expected_check_chars(pa.array(good_codes), "uscc").to_pylist() == [c[17] for c in good_codes]
    leap = id_card(7, dt.date(2000, 2, 29))
    assert expected_check_chars(pa.array([leap] * 5), "id_card").to_pylist() == [leap[17]] * 5
    assert expected_check_chars(pa.array([None, None], pa.string()), "id_card").to_pylist() == [None, None]
    assert expected_check_chars(pa.array(["12345"]), "uscc").to_pylist() == [None]


ID_FIELD = FieldSpec("身份证号", "id", "string", tag="id_card")


def test_id_card_rules():
    good = id_card(1)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    future_body = f"360402{dt.date.today().year + 1}0101001"
    future = future_body + id_card(0)[17]  # check char irrelevant: the birth date fails first
    bad_date = "36040219800230001" + "X"
    values, reasons = check(ID_FIELD, [good, wrong, future, bad_date, good.lower()[:17] + good[17].lower()])
    assert reasons[0] is None and values[0] == good
    assert "校验码错误" in reasons[1]
    assert reasons[2] == "身份证号中的出生日期晚于今天"
    assert reasons[3] == "身份证号中的出生日期无效"
    assert reasons[4] is None
    assert id_card_is_valid(good) and not id_card_is_valid(wrong)


MOBILE_FIELD = FieldSpec("联系电话", "phone", "string", tag="mobile")


@pytest.mark.parametrize(("raw", "clean"), [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
    ("１３８００１３８０００", "13800138000"), ("8619912345678", "19912345678")])
def test_mobile_accepted_forms(raw, clean):
    values, reasons = check(MOBILE_FIELD, [raw])
    assert reasons == [None] and values == [clean]


@pytest.mark.parametrize("raw", ["1380013800", "12800138000", "0792-8221234", "1380013800a"])
def test_mobile_rejected(raw):
    _, reasons = check(MOBILE_FIELD, [raw])
    assert reasons[0].startswith("手机号码格式错误")


DATE_FIELD = FieldSpec("成立日期", "established", "date")


@pytest.mark.parametrize("raw", ["2023-05-06", "2023/5/6", "2023年5月6日", "20230506", "2023.05.06",
                                 "45052", "45052.0", "２０２３－０５－０６", "2023-05-06 10:20:30", " 2023年05月06日 "])
def test_date_forms(raw):
    values, reasons = check(DATE_FIELD, [raw])
    assert reasons == [None]
    assert values == [dt.date(2023, 5, 6)]


@pytest.mark.parametrize("raw", ["2023-02-30", "明天", "20231345", "5/6/2023"])
def test_bad_dates_rejected(raw):
    values, reasons = check(DATE_FIELD, [raw])
    assert reasons[0].startswith("日期无法识别") and values == [None]


def test_enumeration_and_required():
    spec = FieldSpec("登记状态", "status", "enum", required=True, enumeration=("存续", "注销"))
    values, reasons = check(spec, ["存续", "吊销", "  "])
    assert reasons[0] is None and values[0] == "存续"
    assert reasons[1] == "不在枚举值范围内(可选:存续、注销)"
    assert reasons[2] == "必填项为空"


@pytest.mark.parametrize(("kind", "raw", "value"), [
    ("decimal", "1,234.5", 1234.5), ("decimal", "１００", 100), ("integer", "42", 42),
    ("boolean", "是", True), ("boolean", "false", False)])
def test_numbers_and_booleans(kind, raw, value):
    values, reasons = check(FieldSpec("值", "v", kind), [raw])
    assert reasons == [None] and float(values[0]) == float(value)


def test_company_name_brackets_unified():
    values, _ = check(FieldSpec("企业名称", "name", tag="company_name"), ["九江  华润(柴桑)有限公司 "])
    assert values == ["九江 华润（柴桑）有限公司"]


def test_header_matching_tolerates_spaces_full_width_and_units():
    fields = [FieldSpec("注册资本(万元)", "capital"), FieldSpec("企业名称", "name"), FieldSpec("统一社会信用代码", "uscc")]
    assert match_columns([" 注册资本（万元） ", "企业 名称", "USCC", "备注"], fields) == \
        {0: "capital", 1: "name", 2: "uscc"}
    assert match_columns(["注册资本"], fields) == {0: "capital"}


def test_too_many_invalid_rows_loads_nothing():
    spec = FieldSpec("代码", "code", "integer", required=True, is_key=True)
    source = readers.records_to_source([{"代码": v} for v in ["1", "2", "x", "y"]], [spec], "json")
    called = []
    result = pipeline.run(source, [spec], max_invalid_fraction=0.25, write=lambda d, _n: called.append(d) or 0)
    assert not result.accepted and called == []
    assert "超过该资源可容忍的 25.00%" in result.reason
    assert pa.types.is_integer(pa.int64())


def test_rejected_values_are_reported_exactly_as_sent():
    key = FieldSpec("序号", "seq", "integer", True, True)
    spec = FieldSpec("成立日期", "established", "date")
    odd = ['他说"不对"\\', "第一行\n第二行", "{\"i\": 1}"]
    source = readers.records_to_source([{"序号": str(i), "成立日期": v} for i, v in enumerate(odd)], [key, spec],
                                       "json")
    result = pipeline.run(source, [key, spec], max_invalid_fraction=1.0)
    assert [(e["row"], e["field"], e["value"]) for e in result.errors] == [
        (1, "成立日期", odd[0]), (2, "成立日期", odd[1]), (3, "成立日期", odd[2])]
    assert all(e["reason"].startswith("日期无法识别") for e in result.errors)


@pytest.mark.parametrize(("raw", "clean"), [
    ("张三", "张三"), ("  张三", "张三"), ("张三\u3000", "张三"), ("\ufeff张三", "张三"), ("\u00a0张 三\t", "张 三"),
    ("张三\r\n", "张三"), ("\x01张三", "\x01张三"), ("", None), ("\u3000 ", None)])
def test_plain_text_loses_only_its_edge_spaces(raw, clean):
    spec = FieldSpec("法定代表人", "rep", required=True)
    values, reasons = check(spec, [raw])
    assert values == [clean]
    assert reasons == [None if clean is not None else "必填项为空"]
