import random

import pyarrow as pa
import pytest

from regshare.entities.codes import normalize_name, normalize_names_arrow


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
