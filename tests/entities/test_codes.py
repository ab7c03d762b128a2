import random

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from regshare.entities.codes import (
    USCC_CHARSET,
    is_valid_uscc,
    make_uscc,
    normalize_name,
    normalize_names_arrow,
    uscc_error,
    valid_uscc_mask,
)


@given(st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9))
def test_check_character_agrees_with_stdnum(org_code):
    code = make_uscc("91360404" + org_code)
    assert is_valid_uscc(code)
    assert stdnum_uscc.is_valid(code)
    wrong = code[:17] + USCC_CHARSET[(USCC_CHARSET.index(code[17]) + 1) % 31]
    assert not is_valid_uscc(wrong)


@pytest.mark.parametrize("value, message", [
    ("", "不能为空"),
    ("9136040412345", "应为18位"),
    ("91360404MA35XXXXOX", "不允许的字符"),
    ("91360404MA35XXXX01", "校验位错误"),
])
def test_uscc_errors_explain_in_chinese(value, message):
    assert message in uscc_error(value)


def test_full_width_and_spaces_are_cleaned_before_checking():
    code = make_uscc("91360404MA35L8K7P")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code[:6]) + " " + code[6:].lower()
    assert uscc_error(full_width) is None


@pytest.mark.parametrize("a, b", [
    ("九江市柴桑区昊嘉科技有限公司", "九江市柴桑区昊嘉科技有限责任公司"),
    ("九江(柴桑)昊嘉科技有限公司", "九江(柴桑)昊嘉科技有限公司"),
    ("九江 昊嘉 科技有限公司", "九江昊嘉科技有限公司"),
    ("ＡＢＣ商贸有限公司", "abc商贸有限公司"),
    ("【昊嘉】科技股份有限公司", "昊嘉科技股份公司"),
])
def test_name_variants_normalise_to_the_same_key(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_arrow_and_python_normalisation_agree():
    rng = random.Random(3)
    names = ["九江市(柴桑)昊嘉科技有限公司", " 华 为 技术有限责任公司", "ＡＢ商贸店", None, "鑫森-建材(九江)有限公司"]
    names += ["".join(rng.choice("昊嘉()() 有限公司ＡＢ-") for _ in range(12)) for _ in range(50)]
    arrow = normalize_names_arrow(pa.array(names)).to_pylist()
    assert arrow == [normalize_name(n) for n in names]


def test_validity_mask_over_a_column():
    good = make_uscc("92360404ABCDEFGH1")
    mask = valid_uscc_mask(pa.array([good, good[:17] + "0" if good[17] != "0" else good[:17] + "1", None, "x"]))
    assert mask.to_pylist() == [True, False, False, False]
