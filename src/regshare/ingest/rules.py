"""Cleaning and validation rules, written once as DuckDB SQL so that they run over whole columns.

Every field gets three SQL expressions over its raw text column: the cleaned text, the typed
value and the rejection reason (Chinese, NULL when the value is fine). The pure-Python
functions at the end (``uscc_check_char``, ``uscc_is_valid``, ``id_card_is_valid``) are the same
rules for single values: the API, forms and the tests use them; the pipeline never loops over rows.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

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

FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
TRIM_CHARS = " \t\r\n\u3000\u00a0\ufeff"


@dataclass(frozen=True)
class FieldSpec:
    """What the pipeline needs to know of a ``catalog.ResourceField``."""

    name: str
    code_name: str
    data_type: str = "string"
    required: bool = False
    is_key: bool = False
    enumeration: tuple = ()
    tag: str = ""

    @classmethod
    def of(cls, field) -> FieldSpec:  # a ResourceField
        return cls(name=field.name, code_name=field.code_name, data_type=field.data_type,
                   required=bool(field.required), is_key=bool(field.is_key),
                   enumeration=tuple(enum_values(field.enumeration)), tag=field.tag or "")


def enum_values(enumeration) -> list[str]:
    """Allowed values; items may be plain strings or ``{"code": .., "name": ..}`` objects."""
    out: list[str] = []
    for item in enumeration or []:
        if isinstance(item, dict):
            for k in ("code", "value", "name", "label"):
                if item.get(k) not in (None, ""):
                    out.append(str(item[k]))
        elif item not in (None, ""):
            out.append(str(item))
    return out


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _half(expr: str) -> str:
    return f"translate({expr}, {lit(FULL_WIDTH)}, {lit(HALF_WIDTH)})"


def _compact(expr: str) -> str:
    """Half-width, no spaces at all: for codes and numbers."""
    return f"regexp_replace({_half(expr)}, '\\s+', '', 'g')"


@dataclass
class FieldSQL:
    spec: FieldSpec
    clean: str          # over the raw column -> VARCHAR
    typed: str          # over the cleaned column ``c`` -> the stored type
    reason: str         # over ``c`` (cleaned) and ``p`` (typed) -> VARCHAR or NULL
    arrow_type: str = "string"
    extra: dict = field(default_factory=dict)


def _date_sql(c: str) -> str:
    # 20230506 | Excel serial (days since 1899-12-30) | 2023-05-06, 2023/5/6, 2023.5.6, 2023年5月6日 (time ignored)
    ymd = (f"regexp_replace({c}, '^(\\d{{4}})\\s*[-/.年]\\s*(\\d{{1,2}})\\s*[-/.月]\\s*(\\d{{1,2}})\\s*日?"
           f"(?:[ T].*)?$', '\\1-\\2-\\3')")
    return (f"CASE WHEN regexp_full_match({c}, '\\d{{8}}') THEN try_strptime({c}, '%Y%m%d')::DATE "
            f"WHEN regexp_full_match({c}, '\\d{{1,5}}(\\.\\d+)?') "
            f"THEN DATE '1899-12-30' + CAST(floor(CAST({c} AS DOUBLE)) AS INTEGER) "
            f"ELSE try_cast({ymd} AS DATE) END")


def _datetime_sql(c: str) -> str:
    norm = (f"regexp_replace(regexp_replace({c}, '^(\\d{{4}})\\s*[-/.年]\\s*(\\d{{1,2}})\\s*[-/.月]\\s*(\\d{{1,2}})"
            f"\\s*日?', '\\1-\\2-\\3'), '[时分]', ':', 'g')")
    return (f"CASE WHEN regexp_full_match({c}, '\\d{{14}}') THEN try_strptime({c}, '%Y%m%d%H%M%S') "
            f"WHEN regexp_full_match({c}, '\\d{{1,5}}(\\.\\d+)?') "
            f"THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(CAST({c} AS DOUBLE) * 86400000000 AS BIGINT)) "
            f"ELSE try_cast(rtrim({norm}, '秒') AS TIMESTAMP) END")


def uscc_check_sql(c: str) -> str:
    """The expected GB 32100 check character of ``c`` (an 18-character upper-case code)."""
    terms = " + ".join(f"{w} * (instr({lit(USCC_ALPHABET)}, substr({c}, {i}, 1)) - 1)"
                       for i, w in enumerate(USCC_WEIGHTS, 1))
    return f"substr({lit(USCC_ALPHABET)}, ((31 - (({terms}) % 31)) % 31) + 1, 1)"


def _uscc_reason(c: str) -> str:
    allowed = " OR ".join(f"(substr({c}, 1, 1) = {lit(a)} AND contains({lit(cats)}, substr({c}, 2, 1)))"
                          for a, cats in USCC_AUTHORITIES.items())
    return (f"CASE WHEN length({c}) <> 18 THEN '统一社会信用代码应为18位(实际' || length({c}) || '位)' "
            f"WHEN NOT regexp_full_match({c}, '[0-9A-HJ-NPQRTUWXY]{{18}}') "
            f"THEN '统一社会信用代码含有标准不允许的字符(只能是数字和除 I、O、Z、S、V 以外的大写字母)' "
            f"WHEN NOT ({allowed}) THEN '统一社会信用代码的登记管理部门代码或机构类别代码无效' "
            f"WHEN NOT regexp_full_match(substr({c}, 3, 6), '[0-9]{{6}}') "
            f"THEN '统一社会信用代码第3-8位应为行政区划码(6位数字)' "
            f"WHEN substr({c}, 18, 1) <> {uscc_check_sql(c)} "
            f"THEN '统一社会信用代码校验码错误(应为 ' || {uscc_check_sql(c)} || ')' END")


def _id_card_reason(c: str) -> str:
    terms = " + ".join(f"{w} * CAST(substr({c}, {i}, 1) AS INTEGER)" for i, w in enumerate(ID_WEIGHTS, 1))
    birth = f"try_strptime(substr({c}, 7, 8), '%Y%m%d')::DATE"
    return (f"CASE WHEN length({c}) <> 18 THEN '身份证号应为18位(实际' || length({c}) || '位)' "
            f"WHEN NOT regexp_full_match({c}, '[1-9][0-9]{{16}}[0-9X]') THEN '身份证号只能是数字,末位可为X' "
            f"WHEN {birth} IS NULL OR {birth} < DATE '1900-01-01' THEN '身份证号中的出生日期无效' "
            f"WHEN {birth} > current_date THEN '身份证号中的出生日期晚于今天' "
            f"WHEN substr({c}, 18, 1) <> substr({lit(ID_CHECK)}, (({terms}) % 11) + 1, 1) "
            f"THEN '身份证号校验码错误(应为 ' || substr({lit(ID_CHECK)}, (({terms}) % 11) + 1, 1) || ')' END")


def field_sql(spec: FieldSpec, raw: str = "r", c: str = "c", p: str = "p") -> FieldSQL:
    """SQL for one field: ``clean`` reads column ``raw``; ``typed`` reads ``c``; ``reason`` reads ``c`` and ``p``."""
    base = f"NULLIF(trim({raw}, {lit(TRIM_CHARS)}), '')"
    reason = "NULL"
    typed = c
    arrow = "string"
    tag, kind = spec.tag, spec.data_type
    # Cleaning by tag first: codes are half-width, spaceless, upper-case.
    if tag in ("uscc", "id_card"):
        clean = f"NULLIF(upper({_compact(base)}), '')"
        reason = _uscc_reason(c) if tag == "uscc" else _id_card_reason(c)
    elif tag == "mobile":
        clean = (f"NULLIF(regexp_replace(regexp_replace({_half(base)}, '[\\s()-]+', '', 'g'), "
                 f"'^(\\+?86)(1\\d{{10}})$', '\\2'), '')")
        reason = f"CASE WHEN NOT regexp_full_match({c}, '1[3-9][0-9]{{9}}') THEN '手机号码格式错误(应为11位,以13-19开头)' END"
    elif tag == "bank_card":
        clean = f"NULLIF({_compact(base)}, '')"
        reason = f"CASE WHEN NOT regexp_full_match({c}, '[0-9]{{12,19}}') THEN '银行卡号应为12-19位数字' END"
    elif tag == "company_name":
        # Company names use full-width brackets (企业名称登记管理规定); collapse runs of spaces.
        clean = f"NULLIF(regexp_replace(translate({base}, '()〔〕', '（）（）'), '\\s+', ' ', 'g'), '')"
    elif kind in ("integer", "decimal", "date", "datetime", "boolean"):
        clean = f"NULLIF(trim({_half(base)}), '')"
    else:
        clean = base

    if kind == "integer":
        num = f"replace(replace({c}, ',', ''), ' ', '')"
        typed = f"try_cast({num} AS BIGINT)"
        reason = f"CASE WHEN {p} IS NULL THEN '不是有效的整数' END"
        arrow = "int64"
    elif kind == "decimal":
        num = f"replace(replace({c}, ',', ''), ' ', '')"
        typed = f"try_cast({num} AS DECIMAL(20, 4))"
        reason = f"CASE WHEN {p} IS NULL THEN '不是有效的数字' END"
        arrow = "decimal"
    elif kind == "date":
        typed = _date_sql(c)
        reason = (f"CASE WHEN {p} IS NULL THEN '日期无法识别(可写作 2023-05-06、2023/5/6、2023年5月6日 或 20230506)' "
                  f"WHEN {p} < DATE '1800-01-01' OR {p} > DATE '2200-12-31' THEN '日期超出合理范围' END")
        arrow = "date"
    elif kind == "datetime":
        typed = _datetime_sql(c)
        reason = f"CASE WHEN {p} IS NULL THEN '日期时间无法识别(可写作 2023-05-06 08:30:00)' END"
        arrow = "timestamp"
    elif kind == "boolean":
        typed = (f"CASE WHEN lower({c}) IN ('是', 'true', '1', 'y', 'yes', 't', '有') THEN true "
                 f"WHEN lower({c}) IN ('否', 'false', '0', 'n', 'no', 'f', '无') THEN false END")
        reason = f"CASE WHEN {p} IS NULL THEN '应为 是/否' END"
        arrow = "bool"
    elif kind == "enum" and spec.enumeration:
        values = ", ".join(lit(v) for v in spec.enumeration)
        shown = "、".join(spec.enumeration[:10])
        reason = f"CASE WHEN {c} NOT IN ({values}) THEN {lit('不在枚举值范围内(可选:' + shown + ')')} END"
    return FieldSQL(spec=spec, clean=clean, typed=typed, reason=reason, arrow_type=arrow)


# --------------------------------------------------------------------------- header matching


def normalize_header(text) -> str:
    """Column titles compare after NFKC (full-width to half-width), without spaces, lower-case."""
    s = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "")
    return re.sub(r"\s+", "", s).lower()


def _without_unit(text: str) -> str:
    return re.sub(r"\(.*?\)|\[.*?\]", "", text)


def header_map(fields: list[FieldSpec]) -> dict[str, str]:
    """Normalised title -> code_name; Chinese name, code name and the name without its unit all match."""
    out: dict[str, str] = {}
    for f in fields:
        for title in (f.name, f.code_name):
            key = normalize_header(title)
            out.setdefault(key, f.code_name)
            out.setdefault(_without_unit(key), f.code_name)
    return out


def match_columns(titles: list, fields: list[FieldSpec]) -> dict[int, str]:
    """Column position -> code_name for the titles that name a field (first occurrence wins)."""
    lookup = header_map(fields)
    out: dict[int, str] = {}
    used: set[str] = set()
    for i, title in enumerate(titles):
        key = normalize_header(title)
        code = lookup.get(key) or lookup.get(_without_unit(key))
        if code and code not in used:
            out[i] = code
            used.add(code)
    return out


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


def id_card_is_valid(code: str, today: dt.date | None = None) -> bool:
    code = unicodedata.normalize("NFKC", code or "").strip().upper()
    if not re.fullmatch(r"[1-9][0-9]{16}[0-9X]", code):
        return False
    try:
        birth = dt.datetime.strptime(code[6:14], "%Y%m%d").date()
    except ValueError:
        return False
    if birth < dt.date(1900, 1, 1) or birth > (today or dt.date.today()):
        return False
    return id_card_check_char(code[:17]) == code[17]
