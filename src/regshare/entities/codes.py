"""Unified social credit codes (统一社会信用代码, GB 32100-2015) and company-name normalisation.

Both are used column-wise over whole tables (``normalize_names_arrow``) and one value at a time
(search box, API), so the two forms must give the same result; a test checks that.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from regshare.core.lazy import lazy_module

np = lazy_module("numpy")
pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

# GB 32100-2015 §4: 31 characters (no I, O, S, V, Z), weights 3^(i) mod 31.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def clean_uscc(value: object) -> str:
    """Upper-case, half-width, no spaces; does not validate."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).upper()
    return re.sub(r"\s+", "", text)


def is_valid_uscc(value: object) -> bool:
    code = clean_uscc(value)
    if not _USCC_SHAPE.match(code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def uscc_error(value: object) -> str | None:
    """A Chinese explanation of what is wrong with a code, or None when it is valid."""
    code = clean_uscc(value)
    if not code:
        return "统一社会信用代码不能为空"
    if len(code) != 18:
        return f"统一社会信用代码应为18位,当前为{len(code)}位"
    if not _USCC_SHAPE.match(code):
        return "统一社会信用代码含有不允许的字符(不使用 I、O、S、V、Z)或第3-8位行政区划码不是数字"
    if uscc_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位错误(GB 32100-2015)"
    return None


def make_uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)


# Company-name normalisation: what registrars and departments write differently for the same
# entity. Order matters: NFKC first turns full-width letters, digits and brackets half-width.
_LEGAL_FORMS = [
    ("股份有限公司", "股份公司"),
    ("有限责任公司", "公司"),
    ("有限公司", "公司"),
]
_DROP = r"[\s()\[\]{}<>《》〈〉【】「」『』\"'“”‘’·.,,、\-—_]"


def normalize_name(value: object) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = text.replace("(", "(").replace(")", ")")
    text = re.sub(_DROP, "", text).upper()
    for long, short in _LEGAL_FORMS:
        if text.endswith(long):
            text = text[: -len(long)] + short
            break
    return text


def normalize_names_arrow(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """The same as ``normalize_name`` over a whole Arrow column, in C++ kernels."""
    text = pc.utf8_normalize(pc.cast(column, pa.string()).fill_null(""), "NFKC")
    text = pc.replace_substring_regex(text, _DROP, "")
    text = pc.utf8_upper(text)
    for long, short in _LEGAL_FORMS:
        text = pc.replace_substring_regex(text, long + "$", short)
    return text


def clean_uscc_arrow(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    text = pc.utf8_normalize(pc.cast(column, pa.string()).fill_null(""), "NFKC")
    return pc.utf8_upper(pc.replace_substring_regex(text, r"\s+", ""))


@functools.cache
def _char_values() -> np.ndarray:
    """``table[byte]``: the value of a code character (0 for any other byte, already refused by shape)."""
    table = np.full(256, 0, dtype=np.int64)
    for index, char in enumerate(USCC_CHARSET):
        table[ord(char)] = index
    return table


def valid_uscc_mask(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Validity of every code of a column: shape by regex, check character over an n×18 byte matrix."""
    cleaned = clean_uscc_arrow(column)
    shaped = pc.fill_null(pc.match_substring_regex(cleaned, _USCC_SHAPE.pattern), False)
    if isinstance(shaped, pa.ChunkedArray):
        shaped = shaped.combine_chunks()
    ok = shaped.to_numpy(zero_copy_only=False).astype(bool)
    if not ok.any():
        return pa.array(ok)
    codes = pc.filter(cleaned, shaped)
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    # Shaped codes are exactly 18 ASCII bytes, so the data buffer reshapes into one row per code.
    raw = np.frombuffer(pc.binary_join_element_wise(codes, "", "").cast(pa.binary()).buffers()[2],
                        dtype=np.uint8)[: 18 * len(codes)].reshape(-1, 18)
    values = _char_values()[raw]
    expected = (31 - (values[:, :17] @ np.array(USCC_WEIGHTS)) % 31) % 31
    ok[np.flatnonzero(ok)] = expected == values[:, 17]
    return pa.array(ok)
