"""One USCC / ID-card implementation (regshare.core.codes): single values and whole columns agree."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from regshare.core.codes import (
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    clean_uscc,
    expected_check_chars,
    id_card_check_char,
    id_card_is_valid,
    is_valid_uscc,
    make_uscc,
    uscc_check_char,
    uscc_error,
    uscc_is_valid,
    valid_uscc_mask,
)

DISPUTED = "94360404MA35L8K7P7"  # right check character, but 工商 (9) issues no category 4


def test_the_disputed_code_is_refused_by_every_form():
    assert uscc_check_char(DISPUTED[:17]) == DISPUTED[17]
    assert not uscc_is_valid(DISPUTED) and not is_valid_uscc(DISPUTED)
    assert "登记管理部门代码或机构类别代码无效" in uscc_error(DISPUTED)
    assert valid_uscc_mask(pa.array([DISPUTED])).to_pylist() == [False]
    assert expected_check_chars(pa.array([DISPUTED]), "uscc").to_pylist() == [None]


@pytest.mark.parametrize("value, message", [
    ("", "不能为空"),
    ("9136040412345", "应为18位"),
    ("91360404MA35XXXXOX", "不允许的字符"),
    ("91ABCDEFMA35XXXX01", "行政区划码"),
    ("91360404MA35XXXX01", "校验位错误"),
])
def test_uscc_errors_explain_in_chinese(value, message):
    assert message in uscc_error(value)


def test_full_width_and_spaces_are_cleaned_before_checking():
    code = make_uscc("91360404MA35L8K7P")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code[:6]) + " " + code[6:].lower()
    assert uscc_error(full_width) is None and is_valid_uscc(full_width)
    assert valid_uscc_mask(pa.array([full_width])).to_pylist() == [True]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([a + c for a, cats in USCC_AUTHORITIES.items() for c in cats]),
       st.text(alphabet="0123456789", min_size=6, max_size=6),
       st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9))
def test_check_character_agrees_with_python_stdnum(prefix, region, body):
    code17 = prefix + region + body
    assert stdnum_uscc.calc_check_digit(code17) == uscc_check_char(code17)
    assert uscc_is_valid(make_uscc(code17))


def _made_uscc(prefix: str, region: str, body: str) -> str:
    return make_uscc(prefix + region + body)


def _made_id_card(region: str, birth: dt.date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + id_card_check_char(body)


_codes = st.one_of(
    st.none(),
    st.text(alphabet=USCC_ALPHABET + "IOSVZa ９１", min_size=16, max_size=19),
    st.builds(_made_uscc, st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2),  # any authority/category pair
              st.text(alphabet="0123456789A", min_size=6, max_size=6),
              st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9)),
    st.builds(lambda code: f" {code.lower()} ", st.builds(_made_uscc, st.sampled_from(["91", "92", "94", "N2"]),
                                                      st.just("360404"), st.just("MA35L8K7P"))),
)
_ids = st.one_of(
    st.none(),
    st.text(alphabet="0123456789X", min_size=17, max_size=19),
    st.builds(_made_id_card, st.sampled_from(["360402", "110101", "012345"]),
              st.dates(dt.date(1890, 1, 1), dt.date.today() + dt.timedelta(days=400)), st.integers(0, 999)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_codes, max_size=40), st.lists(_ids, max_size=40))
def test_single_value_and_vectorised_forms_agree(codes, ids):
    """Every form judges every value alike: the single-value rule and its Chinese message (forms, the API),
    the column mask (entity register) and the check characters the ingest pipeline runs in DuckDB."""
    mask = valid_uscc_mask(pa.array(codes, pa.string())).to_pylist()
    cleaned = [clean_uscc(code) if code is not None else None for code in codes]
    expected = expected_check_chars(pa.array(cleaned, pa.string()), "uscc").to_pylist()
    for code, clean, in_mask, char in zip(codes, cleaned, mask, expected, strict=True):
        valid = is_valid_uscc(code) if code is not None else False
        assert in_mask == valid, code
        assert (uscc_error(code) is None) == valid, code
        assert (clean is not None and len(clean) == 18 and char == clean[17]) == valid, code
    checks = expected_check_chars(pa.array(ids, pa.string()), "id_card").to_pylist()
    for value, char in zip(ids, checks, strict=True):
        accepted = value is not None and len(value) == 18 and char == value[17]
        assert accepted == (value is not None and id_card_is_valid(value)), value
