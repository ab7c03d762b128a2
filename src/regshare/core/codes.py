"""Unified social credit codes (统一社会信用代码, GB 32100-2015) and resident ID-card numbers (GB 11643),
once for every app: single values (forms, the API, search boxes) and whole Arrow columns (the ingest
pipeline, the entity register), which must judge every value alike (tests/core/test_codes.py).

A USCC is valid when it has 18 characters of the code's alphabet, a 登记管理部门/机构类别 pair the
authority table allows, a six-digit division code and the right check character: ``94360404MA35L8K7P7``
has a valid check character but 工商 (9) issues no category 4, so it is refused everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from regshare.core.clock import today
from regshare.core.lazy import lazy_module

np = lazy_module("numpy")
pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

# --------------------------------------------------------------------------- GB 32100-2015

# The 31 characters of the code: digits and upper-case letters without I, O, Z, S, V.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# 登记管理部门代码 -> the 机构类别代码 it may issue (GB 32100-2015 表1 and the codes assigned since:
# 2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教, 8 工会, A 中央军委改革和编制办公室, N 农业).
USCC_AUTHORITIES: dict[str, str] = {
    "1": "1239",   # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",     # 外交
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",     # 文化
    "5": "1239",   # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",    # 旅游
    "7": "129",    # 宗教
    "8": "19",     # 工会
    "9": "123",    # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",     # 中央军委改革和编制办公室
    "N": "1239",   # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",      # 其他
}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

USCC_PREFIXES = tuple(a + c for a, cats in USCC_AUTHORITIES.items() for c in cats)


# --------------------------------------------------------------------------- codes, in numpy

# Byte -> value of a code character (255: not allowed), as ``bytes.translate`` tables, and the allowed
# 登记管理部门/机构类别 pairs. Built on first use: numpy is not imported by commands that never check a code.
_TABLES_READY = False


def _build_tables() -> None:
    global _TABLES_READY, _USCC_VALUE, _USCC_PAIR_OK, _DIGIT_VALUE, _USCC_W, _ID_W, _USCC_CHAR_OF_SUM
    global _ID_CHAR_OF_SUM, _PLACE
    uscc_value = bytearray([255] * 256)
    for i, ch in enumerate(USCC_ALPHABET):
        uscc_value[ord(ch)] = i
    _USCC_VALUE = bytes(uscc_value)
    _DIGIT_VALUE = bytes(i - 48 if 48 <= i <= 57 else 255 for i in range(256))
    # Indexed by the first two bytes read as one little-endian 16-bit number: one look-up per value.
    _USCC_PAIR_OK = np.zeros(1 << 16, dtype=bool)
    for prefix in USCC_PREFIXES:
        _USCC_PAIR_OK[ord(prefix[0]) | ord(prefix[1]) << 8] = True
    # A weight of 0 for the 18th character: the sums run over whole contiguous rows.
    _USCC_W = np.array(USCC_WEIGHTS + (0,), dtype=np.float32)
    _ID_W = np.array(ID_WEIGHTS + (0,), dtype=np.float32)
    # Weighted sum -> check character, so that no modulo is computed per value.
    _USCC_CHAR_OF_SUM = np.array([ord(USCC_ALPHABET[(31 - s % 31) % 31]) for s in range(30 * sum(USCC_WEIGHTS) + 1)],
                                 dtype=np.uint8)
    _ID_CHAR_OF_SUM = np.array([ord(ID_CHECK[s % 11]) for s in range(9 * sum(ID_WEIGHTS) + 1)], dtype=np.uint8)
    _PLACE = np.array([10 ** p for p in range(7, -1, -1)], dtype=np.float64)
    _TABLES_READY = True


_FIRST_BIRTH = 19000000  # yyyymmdd of 1900-01-01 minus its month and day
_BIRTHS: dict[dt.date, np.ndarray] = {}
_OFFSETS: dict[int, pa.Buffer] = {}


def _real_births(today: dt.date) -> np.ndarray:
    """``ok[yyyymmdd - 19000000]``: whether that is a real date from 1900-01-01 to ``today``."""
    ok = _BIRTHS.get(today)
    if ok is None:
        days = np.arange(np.datetime64("1900-01-01"), np.datetime64(today) + 1, dtype="datetime64[D]")
        months = days.astype("datetime64[M]")
        ymd = ((months.astype("datetime64[Y]").astype(np.int64) + 1970) * 10000
               + (months.astype(np.int64) % 12 + 1) * 100 + (days - months).astype(np.int64) + 1)
        ok = np.zeros((today.year + 1) * 10000 - _FIRST_BIRTH, dtype=bool)
        ok[ymd - _FIRST_BIRTH] = True
        _BIRTHS.clear()
        _BIRTHS[today] = ok
    return ok


def _translated(raw: np.ndarray, table: bytes) -> np.ndarray:
    """The characters' values of ``raw`` (rows x 18 bytes), the 18th (the check character) set to 0.

    ``bytes.translate`` maps a chunk in one C loop (``np.take`` first widens every byte to a 64-bit index);
    keeping whole rows, rather than a view of 17 of 18 columns, lets the tests and sums below run over
    contiguous memory."""
    values = np.frombuffer(bytearray(raw.tobytes().translate(table)), dtype=np.uint8).reshape(raw.shape)
    values[:, 17] = 0
    return values


def _rows_where(mask: np.ndarray) -> np.ndarray:
    """The rows of a C-contiguous (rows x k) mask that hold anywhere. Finding the few hits in the flat mask costs
    a fifth of ``mask.any(axis=1)``, which reduces 2,048 rows of 18 one by one."""
    return np.flatnonzero(mask) // mask.shape[1]


def _uscc_values(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    values = _translated(raw, _USCC_VALUE)
    pairs_ok = _USCC_PAIR_OK[raw.view("<u2")[:, 0]]
    # Three whole-chunk tests settle a well-formed chunk. A file with a wrong letter in one code in a thousand has
    # such a code in nearly every chunk of 2,048, so the per-row path below must be cheap too.
    if values.max() < 31 and values[:, 2:8].max() < 10 and pairs_ok.all():
        return values, None
    good = pairs_ok
    good[_rows_where(values >= 31)] = False
    good[_rows_where(values[:, 2:8] >= 10)] = False
    values[~good] = 0
    return values, good


def _id_values(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    values = _translated(raw, _DIGIT_VALUE)
    good = None
    if not (values.max() < 10 and values[:, 0].min() > 0):
        good = values[:, 0] > 0
        good[_rows_where(values >= 10)] = False
        values[~good] = 0
    ok = _real_births(today())
    birth = (values[:, 6:14] @ _PLACE).astype(np.int64) - _FIRST_BIRTH
    if birth.min() >= 0 and birth.max() < len(ok) and ok[birth].all():
        return values, good
    born = ok[np.clip(birth, 0, len(ok) - 1)] & (birth >= 0) & (birth < len(ok))
    return values, born if good is None else good & born


def expected_check_chars(column: pa.Array | pa.ChunkedArray, kind: str) -> pa.Array:
    """The check character each value must end with, or NULL when the value is wrong before that.

    ``kind="uscc"``: 18 characters of the GB 32100 alphabet, a valid 登记管理部门/机构类别 pair and a
    6-digit division code. ``kind="id_card"``: 17 digits (the first not 0) holding a real birth date
    between 1900-01-01 and today. A value is valid exactly when its 18th character equals the
    result; the rare others get their detailed reason in SQL. Registered as a vectorised DuckDB
    function (``uscc_check``/``id_check``), called once per DuckDB vector: seventeen ``substr`` calls
    per row cost DuckDB several times more than a (rows x 17) byte matrix costs numpy, and every
    numpy call lets the other DuckDB thread take the GIL, so the usual chunk takes only a few calls.
    """
    if not _TABLES_READY:
        _build_tables()
    if isinstance(column, pa.ChunkedArray):
        # DuckDB hands a function one chunk per call; combining a single chunk would copy it.
        column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    n = len(column)
    if n == 0:
        return pa.array([], pa.string())
    buffers = column.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[column.offset:column.offset + n + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(1, np.uint8)
    has_18 = np.diff(offsets) == 18
    if not column.null_count and has_18.all():  # the usual chunk: the buffer is the (rows x 18) matrix
        rows = None
        raw = data[offsets[0]:offsets[0] + 18 * n].reshape(n, 18)
    else:
        if column.null_count:
            has_18 &= np.asarray(column.is_valid())
        rows = np.flatnonzero(has_18)
        if not len(rows):
            return pa.nulls(n, pa.string())
        raw = data[offsets[rows].astype(np.int64)[:, None] + np.arange(18)]
    if kind == "uscc":
        values, good = _uscc_values(raw)
        text = _USCC_CHAR_OF_SUM[(values @ _USCC_W).astype(np.int32)]
    else:
        values, good = _id_values(raw)
        text = _ID_CHAR_OF_SUM[(values @ _ID_W).astype(np.int32)]
    # One ASCII byte per value, built straight into Arrow buffers (no Python strings).
    offsets_out = _OFFSETS.get(n)
    if offsets_out is None:
        offsets_out = _OFFSETS.setdefault(n, pa.py_buffer(np.arange(n + 1, dtype=np.int32)))
    if rows is None and good is None:
        return pa.StringArray.from_buffers(n, offsets_out, pa.py_buffer(text))
    valid = np.zeros(n, dtype=bool)
    if rows is None:
        valid[:] = good
    else:
        valid[rows] = True if good is None else good
        full = np.full(n, ord("?"), dtype=np.uint8)
        full[rows] = text
        text = full
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(n, offsets_out, pa.py_buffer(text), bitmap, n - int(valid.sum()))


def register_check_functions(con) -> None:
    """``uscc_check(text)`` and ``id_check(text)`` on a DuckDB connection (see ``expected_check_chars``)."""
    con.create_function("uscc_check", lambda column: expected_check_chars(column, "uscc"), ["VARCHAR"], "VARCHAR",
                        type="arrow", null_handling="special")
    con.create_function("id_check", lambda column: expected_check_chars(column, "id_card"), ["VARCHAR"], "VARCHAR",
                        type="arrow", null_handling="special")


# --------------------------------------------------------------------------- single values


def uscc_check_char(code17: str) -> str:
    total = sum(w * USCC_ALPHABET.index(ch) for w, ch in zip(USCC_WEIGHTS, code17, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    code = unicodedata.normalize("NFKC", code or "").strip().upper()
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}", code):
        return False
    if code[1] not in USCC_AUTHORITIES.get(code[0], ""):
        return False
    return uscc_check_char(code[:17]) == code[17]


def id_card_check_char(code17: str) -> str:
    return ID_CHECK[sum(w * int(ch) for w, ch in zip(ID_WEIGHTS, code17, strict=True)) % 11]


def id_card_is_valid(code: str, on: dt.date | None = None) -> bool:
    code = unicodedata.normalize("NFKC", code or "").strip().upper()
    if not re.fullmatch(r"[1-9][0-9]{16}[0-9X]", code):
        return False
    try:
        birth = dt.datetime.strptime(code[6:14], "%Y%m%d").date()
    except ValueError:
        return False
    if birth < dt.date(1900, 1, 1) or birth > (on or today()):
        return False
    return id_card_check_char(code[:17]) == code[17]


# --------------------------------------------------------------------------- cleaning, messages, columns

USCC_CHARSET = USCC_ALPHABET
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def clean_uscc(value: object) -> str:
    """Upper-case, half-width, no spaces; does not validate."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).upper()
    return re.sub(r"\s+", "", text)


def is_valid_uscc(value: object) -> bool:
    """``uscc_is_valid`` after ``clean_uscc`` (spaces inside the code are dropped too)."""
    return uscc_is_valid(clean_uscc(value))


def uscc_error(value: object) -> str | None:
    """A Chinese explanation of what is wrong with a code, or None when it is valid (the same order of
    checks as the ingest pipeline's rejection reasons)."""
    code = clean_uscc(value)
    if not code:
        return "统一社会信用代码不能为空"
    if len(code) != 18:
        return f"统一社会信用代码应为18位,当前为{len(code)}位"
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", code):
        return "统一社会信用代码含有不允许的字符(只能是数字和除 I、O、Z、S、V 以外的大写字母)"
    if code[1] not in USCC_AUTHORITIES.get(code[0], ""):
        return "统一社会信用代码的登记管理部门代码或机构类别代码无效"
    if not code[2:8].isdigit():
        return "统一社会信用代码第3-8位应为行政区划码(6位数字)"
    if uscc_check_char(code[:17]) != code[17]:
        return f"统一社会信用代码校验位错误(GB 32100-2015,应为 {uscc_check_char(code[:17])})"
    return None


def make_uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)


def clean_uscc_arrow(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """``clean_uscc`` over a whole Arrow column."""
    text = pc.utf8_normalize(pc.cast(column, pa.string()).fill_null(""), "NFKC")
    return pc.utf8_upper(pc.replace_substring_regex(text, r"\s+", ""))


def valid_uscc_mask(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``is_valid_uscc`` of every value of a column (``expected_check_chars`` on the cleaned codes)."""
    cleaned = clean_uscc_arrow(column)
    if isinstance(cleaned, pa.ChunkedArray):
        cleaned = cleaned.combine_chunks()
    expected = expected_check_chars(cleaned, "uscc")
    last = pc.utf8_slice_codeunits(cleaned, 17, 18)
    same = pc.and_(pc.equal(pc.utf8_length(cleaned), 18), pc.equal(expected, last))
    return pc.fill_null(same, False)

