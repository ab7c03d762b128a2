"""Cleaning and validation rules, written once as DuckDB SQL so that they run over whole columns.

Every field gets three SQL expressions over its raw text column: the cleaned text, the typed
value and the rejection reason (Chinese, NULL when the value is fine). The pure-Python
functions at the end (``uscc_check_char``, ``uscc_is_valid``, ``id_card_is_valid``) are the same
rules for single values: the API, forms and the tests use them; the pipeline never loops over rows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from regshare.core.codes import (  # noqa: F401  (the pipeline and its tests name the rules from here)
    ID_CHECK,
    ID_WEIGHTS,
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    USCC_WEIGHTS,
    expected_check_chars,
    id_card_check_char,
    id_card_is_valid,
    register_check_functions,
    uscc_check_char,
    uscc_is_valid,
)

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


# Cleaning has a fast path and a slow path per value (see ``clean_expr``): values that already look
# clean are kept as they are; only the others pay for trim-by-set, translate and regex rewrites.
X = "\u27e8x\u27e9"  # placeholder for "the column this cleaning step reads"


def _half(expr: str) -> str:
    # translate() costs ~20 microseconds a value: only values holding a full-width character pay it.
    return (f"CASE WHEN regexp_matches({expr}, '[\uff01-\uff5e\u3000]') "
            f"THEN translate({expr}, {lit(FULL_WIDTH)}, {lit(HALF_WIDTH)}) ELSE {expr} END")


_BRACKETS = f"replace(replace({X}, '(', '（'), ')', '）')"


def _no_spaces(expr: str) -> str:
    return f"regexp_replace({expr}, '\\s+', '', 'g')"


@dataclass
class FieldSQL:
    """``steps`` clean the raw text one projection at a time (each reads ``X``, the previous step);
    ``typed`` reads the cleaned column ``c``; ``reason`` reads ``c``, ``p`` (typed) and ``k`` (the
    expected check character, see ``expected_check_chars``)."""

    spec: FieldSpec
    steps: list[str]
    typed: str
    reason: str
    check: str = ""  # "uscc" | "id_card" when a check character column is needed
    fast: str = ""   # a regex for values already clean: they skip the steps
    clean_is_valid: bool = False  # a value that passes the clean test needs no ``reason``


def _date_sql(c: str) -> str:
    # 2023-05-06 | 20230506 | Excel serial (days since 1899-12-30) | 2023/5/6, 2023.5.6, 2023年5月6日 (time ignored)
    ymd = (f"regexp_replace({c}, '^(\\d{{4}})\\s*[-/.年]\\s*(\\d{{1,2}})\\s*[-/.月]\\s*(\\d{{1,2}})\\s*日?"
           f"(?:[ T].*)?$', '\\1-\\2-\\3')")
    # DuckDB's own date cast takes 2023-05-06 and 2023/5/6 directly; the rest go through the CASE.
    return (f"COALESCE(try_cast({c} AS DATE), CASE "
            f"WHEN regexp_full_match({c}, '\\d{{8}}') THEN try_strptime({c}, '%Y%m%d')::DATE "
            f"WHEN regexp_full_match({c}, '\\d{{1,5}}(\\.\\d+)?') "
            f"THEN DATE '1899-12-30' + CAST(floor(CAST({c} AS DOUBLE)) AS INTEGER) "
            f"ELSE try_cast({ymd} AS DATE) END)")


def _number_sql(c: str, sql_type: str) -> str:
    # Thousands separators and inner spaces are dropped only where the plain cast fails (COALESCE is lazy).
    return f"COALESCE(try_cast({c} AS {sql_type}), try_cast(replace(replace({c}, ',', ''), ' ', '') AS {sql_type}))"


def _datetime_sql(c: str) -> str:
    norm = (f"regexp_replace(regexp_replace({c}, '^(\\d{{4}})\\s*[-/.年]\\s*(\\d{{1,2}})\\s*[-/.月]\\s*(\\d{{1,2}})"
            f"\\s*日?', '\\1-\\2-\\3'), '[时分]', ':', 'g')")
    return (f"CASE WHEN regexp_full_match({c}, '\\d{{14}}') THEN try_strptime({c}, '%Y%m%d%H%M%S') "
            f"WHEN regexp_full_match({c}, '\\d{{1,5}}(\\.\\d+)?') "
            f"THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(CAST({c} AS DOUBLE) * 86400000000 AS BIGINT)) "
            f"ELSE try_cast(rtrim({norm}, '秒') AS TIMESTAMP) END")




def _uscc_reason(c: str, k: str) -> str:
    # A regular expression, not ``IN (...)``: DuckDB turns a long IN list into a join that runs on every row.
    prefixes = lit("|".join(f"{a}[{cats}]" for a, cats in USCC_AUTHORITIES.items()))
    # ``k`` (``uscc_check``) settles the common, valid case; the detailed reasons only run on failures.
    return (f"CASE WHEN substr({c}, 18, 1) = {k} THEN NULL "
            f"WHEN length({c}) <> 18 THEN '统一社会信用代码应为18位(实际' || length({c}) || '位)' "
            f"WHEN NOT regexp_full_match({c}, '[0-9A-HJ-NPQRTUWXY]{{18}}') "
            f"THEN '统一社会信用代码含有标准不允许的字符(只能是数字和除 I、O、Z、S、V 以外的大写字母)' "
            f"WHEN NOT regexp_full_match(substr({c}, 1, 2), {prefixes}) THEN '统一社会信用代码的登记管理部门代码或机构类别代码无效' "
            f"WHEN NOT regexp_full_match(substr({c}, 3, 6), '[0-9]{{6}}') "
            f"THEN '统一社会信用代码第3-8位应为行政区划码(6位数字)' "
            f"WHEN {k} IS NOT NULL THEN '统一社会信用代码校验码错误(应为 ' || {k} || ')' "
            f"ELSE '统一社会信用代码无效' END")


def _id_card_reason(c: str, k: str) -> str:
    birth = f"try_strptime(substr({c}, 7, 8), '%Y%m%d')::DATE"
    return (f"CASE WHEN substr({c}, 18, 1) = {k} THEN NULL "
            f"WHEN length({c}) <> 18 THEN '身份证号应为18位(实际' || length({c}) || '位)' "
            f"WHEN NOT regexp_full_match({c}, '[1-9][0-9]{{16}}[0-9X]') THEN '身份证号只能是数字,末位可为X' "
            f"WHEN {birth} IS NULL OR {birth} < DATE '1900-01-01' THEN '身份证号中的出生日期无效' "
            f"WHEN {birth} > current_date THEN '身份证号中的出生日期晚于今天' "
            f"WHEN {k} IS NOT NULL THEN '身份证号校验码错误(应为 ' || {k} || ')' "
            f"ELSE '身份证号无效' END")


def field_sql(spec: FieldSpec, c: str = "c", p: str = "p", k: str = "k") -> FieldSQL:
    """SQL for one field; see ``FieldSQL`` for which expression reads which column."""
    steps = [f"trim({X}, {lit(TRIM_CHARS)})", f"NULLIF({X}, '')"]
    reason = "NULL"
    typed = c
    check = ""
    tag, kind = spec.tag, spec.data_type
    # Cleaning by tag first: codes are half-width, spaceless, upper-case.
    if tag in ("uscc", "id_card"):
        steps += [_half(X), f"NULLIF(upper({_no_spaces(X)}), '')"]
        check = tag
        reason = _uscc_reason(c, k) if tag == "uscc" else _id_card_reason(c, k)
    elif tag == "mobile":
        steps += [_half(X), f"NULLIF(regexp_replace(regexp_replace({X}, '[\\s()-]+', '', 'g'), "
                            f"'^(\\+?86)(1\\d{{10}})$', '\\2'), '')"]
        reason = f"CASE WHEN NOT regexp_full_match({c}, '1[3-9][0-9]{{9}}') THEN '手机号码格式错误(应为11位,以13-19开头)' END"
    elif tag == "bank_card":
        steps += [_half(X), f"NULLIF({_no_spaces(X)}, '')"]
        reason = f"CASE WHEN NOT regexp_full_match({c}, '[0-9]{{12,19}}') THEN '银行卡号应为12-19位数字' END"
    elif tag == "company_name":
        # Company names use full-width brackets (企业名称登记管理规定); runs of spaces collapse to one.
        steps += [_BRACKETS, f"regexp_replace({X}, '\\s+', ' ', 'g')"]
    elif kind in ("integer", "decimal", "date", "datetime", "boolean"):
        steps += [_half(X), f"NULLIF(trim({X}), '')"]  # full-width digits and separators

    if kind == "integer":
        typed = _number_sql(c, "BIGINT")
        reason = f"CASE WHEN {p} IS NULL THEN '不是有效的整数' END"
    elif kind == "decimal":
        typed = _number_sql(c, "DECIMAL(20, 4)")
        reason = f"CASE WHEN {p} IS NULL THEN '不是有效的数字' END"
    elif kind == "date":
        typed = _date_sql(c)
        reason = (f"CASE WHEN {p} IS NULL THEN '日期无法识别(可写作 2023-05-06、2023/5/6、2023年5月6日 或 20230506)' "
                  f"WHEN {p} < DATE '1800-01-01' OR {p} > DATE '2200-12-31' THEN '日期超出合理范围' END")
    elif kind == "datetime":
        typed = _datetime_sql(c)
        reason = f"CASE WHEN {p} IS NULL THEN '日期时间无法识别(可写作 2023-05-06 08:30:00)' END"
    elif kind == "boolean":
        typed = (f"CASE WHEN lower({c}) IN ('是', 'true', '1', 'y', 'yes', 't', '有') THEN true "
                 f"WHEN lower({c}) IN ('否', 'false', '0', 'n', 'no', 'f', '无') THEN false END")
        reason = f"CASE WHEN {p} IS NULL THEN '应为 是/否' END"
    elif kind == "enum" and spec.enumeration:
        values = ", ".join(lit(v) for v in spec.enumeration)
        shown = "、".join(spec.enumeration[:10])
        reason = f"CASE WHEN {c} NOT IN ({values}) THEN {lit('不在枚举值范围内(可选:' + shown + ')')} END"
    return FieldSQL(spec=spec, steps=steps, typed=typed, reason=reason, check=check,
                    fast=_fast_pattern(tag, kind),
                    clean_is_valid=tag == "mobile" or (kind == "enum" and bool(spec.enumeration)))


_FAST = {
    "uscc": "[0-9A-Z]{18}", "id_card": "[0-9]{17}[0-9X]", "mobile": "1[3-9][0-9]{9}", "bank_card": "[0-9]{12,19}",
}
_FAST_KIND = {
    "integer": "-?[0-9]+", "decimal": "-?[0-9]+(\\.[0-9]+)?",
    "date": "[0-9]{4}(-[0-9]{2}-[0-9]{2}|[0-9]{4}|/[0-9]{1,2}/[0-9]{1,2}|年[0-9]{1,2}月[0-9]{1,2}日)|[0-9]{1,5}(\\.[0-9]+)?",
    "datetime": "[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?",
    "boolean": "[0-9A-Za-z是否有无]+",
}


def _fast_pattern(tag: str, kind: str) -> str:
    if tag in _FAST:
        return _FAST[tag]
    if kind in _FAST_KIND:
        return _FAST_KIND[kind]
    return ""


# Plain text is clean unless it is empty or starts or ends with a space of some kind: two code-point
# look-ups per value, far cheaper than a regular expression (or fourteen prefix tests) over Chinese text.
_EDGE_CODES = ", ".join(str(ord(ch)) for ch in TRIM_CHARS)


def _plain_is_clean(column: str) -> str:
    # ``unicode`` is the first code point, -1 for the empty string (which is not clean: it becomes NULL).
    return f"unicode({column}) NOT IN ({_EDGE_CODES}, -1) AND ord({column}[-1]) NOT IN ({_EDGE_CODES})"


def clean_test(x: FieldSQL, column: str) -> str:
    """Whether the raw value in ``column`` is already clean (so the cleaning steps can be skipped)."""
    if x.fast:
        return f"regexp_full_match({column}, {lit(x.fast)})"
    if x.spec.data_type == "enum" and x.spec.enumeration:
        return f"{column} IN ({', '.join(lit(v) for v in x.spec.enumeration)})"  # an allowed value is clean
    test = _plain_is_clean(column)
    if x.spec.tag == "company_name":
        # Half-width brackets are common and only need ``replace`` (see ``clean_expr``); runs of spaces do not.
        test += "".join(f" AND NOT contains({column}, {lit(ws)})" for ws in ("  ", "\t", "\n", "\r"))
    return test


def clean_expr(x: FieldSQL, column: str, test: str | None = None) -> str:
    """The cleaned value of ``column``: itself when ``test`` (default: ``clean_test``) holds, else all steps
    nested. The nested form repeats the column many times, which only costs on the few rows that need it."""
    slow = column
    for step in x.steps:
        slow = step.replace(X, f"({slow})")
    kept = column
    if x.spec.tag == "company_name":
        kept = (f"CASE WHEN contains({column}, '(') OR contains({column}, ')') "
                f"THEN {_BRACKETS.replace(X, column)} ELSE {column} END")
    return f"CASE WHEN {test or clean_test(x, column)} THEN {kept} ELSE {slow} END"


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


