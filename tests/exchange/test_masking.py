"""THE masking function: each tag's rule, never-masked tags, and mask_rows, mask_value == mask_table element-wise
(small and large tables take different code paths, so both are compared)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regshare.exchange.masking import SMALL, mask_array, mask_rows, mask_table, mask_value


@pytest.mark.parametrize("tag, value, masked", [
    ("id_card", "36040419900101123X", "360404********123X"),
    ("id_card", "123456789", "*********"),
    ("mobile", "13812345678", "138****5678"),
    ("person_name", "张三", "张*"),
    ("person_name", "欧阳娜娜", "欧阳**"),
    ("person_name", "王", "王"),
    ("address", "江西省九江市柴桑区沙河街镇民主路8号", "江西省九江市柴桑区********"),
    ("address", "九江市柴桑区民主路8号", "九江市柴桑区*****"),
    ("address", "北京市朝阳区建国路1号", "北京市朝阳区*****"),
    ("address", "某某小区3号", "******"),
    ("bank_card", "6222021234567890123", "***************0123"),
    ("uscc", "91360404MA35XXXX1X", "91360404MA35XXXX1X"),
    ("company_name", "九江某某有限公司", "九江某某有限公司"),
    ("", "任意文本", "任意文本"),
])
def test_each_tag(tag, value, masked):
    assert mask_value(tag, value) == masked


def test_nulls_stay_null_and_clear_columns_pass():
    table = pa.table({"id": ["36040419900101123X", None], "phone": ["13812345678", "13900000000"]})
    out = mask_table(table, {"id": "id_card", "phone": "mobile"}, clear={"phone"})
    assert out.to_pydict() == {"id": ["360404********123X", None], "phone": ["13812345678", "13900000000"]}


TEXT = st.text(alphabet="0123456789X张王欧阳李江西省九江市柴桑区路号", max_size=22)


@settings(max_examples=60, deadline=None)
@given(tag=st.sampled_from(["id_card", "mobile", "person_name", "address", "bank_card", "uscc"]),
       values=st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=5))
def test_mask_value_equals_mask_table_on_both_paths(tag, values):
    small = mask_array(tag, pa.array(values, pa.string())).to_pylist()
    padded = values * (SMALL // len(values) + 2)
    large = mask_array(tag, pa.array(padded, pa.string())).to_pylist()[:len(values)]
    one_by_one = [mask_value(tag, v) for v in values]
    as_rows = [row["v"] for row in mask_rows([{"v": v} for v in values], {"v": tag})]
    as_long_rows = [row["v"] for row in mask_rows([{"v": v} for v in padded], {"v": tag})][:len(values)]
    assert small == large == one_by_one == as_rows == as_long_rows
