"""The ingest rules' DuckDB expressions as Spark SQL, and the code check characters in plain Spark SQL.

``ingest.rules`` writes each cleaning and validation rule once, in DuckDB SQL, and the DuckDB pass runs
that text unchanged. Spark gets the same expressions rewritten by ``rule``: sqlglot reads the DuckDB text
and writes Spark's, and the functions whose meaning differs between the two engines are rewritten here
so that Spark gives the values DuckDB gives (``tests/ingest/test_pipeline_engines.py`` runs the same
values through both):

- ``regexp_full_match`` is ``RLIKE`` anchored at both ends (``\\z``: Java's ``$`` also matches before a
  final line break); ``regexp_replace`` is always global in Spark and writes ``\\1`` as ``$1``;
- DuckDB's casts from text accept other forms than Spark's (Spark takes ``2023`` as a date and ``٣`` as a
  number, DuckDB rounds ``1.5`` to an integer): each ``try_cast`` first checks the form DuckDB accepts;
- ``try_strptime`` formats become Java patterns; ``TIMESTAMP + to_microseconds(n)`` becomes micro-seconds
  since the epoch; the first and last character tests by code point compare characters instead.

sqlglot comes with splink; it is imported on the first Spark pass only.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from regshare.core import clock, codes

# Forms DuckDB's own casts accept (on the cleaned, trimmed text), checked before Spark's cast.
_DATE_FORM = r"[0-9]{4}([-/ ])[0-9]{1,2}\1[0-9]{1,2}([ T].*)?"
_NUMBER_FORM = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_TIMESTAMP_FORM = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\.[0-9]+)?)?)?"
_STRPTIME = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss"}
# Microseconds from 1970-01-01 back to 1899-12-30 (the day before Excel's serial 1).
_EXCEL_EPOCH_MICROS = -25569 * 86_400_000_000


class UnsupportedRule(Exception):
    """A DuckDB construct with no Spark rewrite here: the rule must be written for Spark first."""


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _full(pattern: str) -> str:
    return f"^(?:{pattern})\\z"


@functools.cache
def _sqlglot() -> Any:
    import sqlglot
    from sqlglot import exp

    return sqlglot, exp


def _spark(text: str, **nodes: Any) -> Any:
    """Parse a Spark SQL template and put ``nodes`` in place of the columns named by their keys."""
    sqlglot, exp = _sqlglot()
    tree = sqlglot.parse_one(text, read="spark")

    def fill(node: Any) -> Any:
        if isinstance(node, exp.Column) and not node.table and node.name in nodes:
            return nodes[node.name].copy()
        return node

    return tree.transform(fill)


def _string(node: Any) -> str | None:
    _, exp = _sqlglot()
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def _code_point_list(node: Any) -> Any:
    """``unicode(x) IN (...)`` / ``ord(x[-1]) IN (...)`` as first/last character ``IN`` characters."""
    _, exp = _sqlglot()
    subject = node.this
    if isinstance(subject, exp.Unicode):
        char = _spark("left(x, 1)", x=subject.this)
    elif (isinstance(subject, exp.Anonymous) and subject.name.lower() == "ord" and len(subject.expressions) == 1
          and isinstance(subject.expressions[0], exp.Bracket)):
        bracket = subject.expressions[0]
        written = bracket.sql(dialect="duckdb")  # sqlglot keeps the index 0-based inside; DuckDB's text is 1-based
        if not written.replace(" ", "").endswith("[-1]"):
            raise UnsupportedRule(f"character {written}")
        char = _spark("right(x, 1)", x=bracket.this)
    else:
        return None
    values = []
    for item in node.expressions:
        if isinstance(item, exp.Neg):
            values.append(-int(item.this.this))
        elif isinstance(item, exp.Literal) and not item.is_string:
            values.append(int(item.this))
        else:
            raise UnsupportedRule(f"code point list: {item.sql()}")
    chars = ", ".join(_literal("" if v < 0 else chr(v)) for v in values)
    return _spark(f"x IN ({chars})", x=char)


def _try_cast(node: Any) -> Any:
    _, exp = _sqlglot()
    value, to = node.this, node.to
    kind = to.this
    if kind == exp.DataType.Type.DATE:
        normal = f"regexp_replace(x, {_literal('^([0-9]{4})[-/ ]([0-9]{1,2})[-/ ]([0-9]{1,2}).*$')}, '$1-$2-$3')"
        return _spark(f"CASE WHEN x RLIKE {_literal(_full(_DATE_FORM))} THEN try_cast({normal} AS DATE) END", x=value)
    if kind in (exp.DataType.Type.BIGINT, exp.DataType.Type.INT):
        # DuckDB rounds a decimal text to the nearest integer (half away from zero, as ``round`` does).
        return _spark(f"CASE WHEN x RLIKE {_literal(_full(_NUMBER_FORM))} "
                      f"THEN try_cast(round(try_cast(x AS DECIMAL(38, 10))) AS {to.sql('spark')}) END", x=value)
    if kind == exp.DataType.Type.DECIMAL:
        return _spark(f"CASE WHEN x RLIKE {_literal(_full(_NUMBER_FORM))} THEN try_cast(x AS {to.sql('spark')}) END",
                      x=value)
    if kind in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ):
        return _spark(f"CASE WHEN x RLIKE {_literal(_full(_TIMESTAMP_FORM))} THEN try_cast(x AS TIMESTAMP_NTZ) END",
                      x=value)
    raise UnsupportedRule(f"try_cast to {to.sql()}")


def _regexp_replace(node: Any) -> Any:
    _, exp = _sqlglot()
    pattern, replacement = _string(node.expression), _string(node.args.get("replacement"))
    modifiers = _string(node.args.get("modifiers")) or ""
    if pattern is None or replacement is None:
        raise UnsupportedRule("regexp_replace with a computed pattern or replacement")
    if "g" not in modifiers and not pattern.startswith("^"):
        raise UnsupportedRule("regexp_replace of the first match only")
    java = re.sub(r"\\(\d)", r"$\1", replacement.replace("$", "\\$"))
    return _spark(f"regexp_replace(x, {_literal(pattern)}, {_literal(java)})", x=node.this)


def _strptime(node: Any) -> Any:
    fmt = _string(node.expressions[1]) if len(node.expressions) == 2 else None
    if fmt is None or re.sub("|".join(map(re.escape, _STRPTIME)), "", fmt):
        raise UnsupportedRule(f"strptime format {fmt!r}")
    for duck, java in _STRPTIME.items():
        fmt = fmt.replace(duck, java)
    return _spark(f"CAST(try_to_timestamp(x, {_literal(fmt)}) AS TIMESTAMP_NTZ)", x=node.expressions[0])


def _rewrite(node: Any) -> Any:
    _, exp = _sqlglot()
    if isinstance(node, exp.RegexpFullMatch):
        pattern = _string(node.expression)
        if pattern is None:
            raise UnsupportedRule("regexp_full_match with a computed pattern")
        return _spark(f"x RLIKE {_literal(_full(pattern))}", x=node.this)
    if isinstance(node, exp.RegexpReplace):
        return _regexp_replace(node)
    if isinstance(node, exp.TryCast):
        return _try_cast(node)
    if isinstance(node, exp.Unicode):
        raise UnsupportedRule("unicode() outside an IN list")
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name == "try_strptime":
            return _strptime(node)
        if name in ("ord", "to_microseconds", "uscc_check", "id_check"):
            raise UnsupportedRule(f"{name}() here")
    if isinstance(node, exp.Add):
        right, left = node.expression, node.this
        if isinstance(left, exp.Cast) and left.to.this == exp.DataType.Type.DATE:
            return _spark("date_add(d, n)", d=left, n=right)
    return node


def _convert(node: Any) -> Any:
    """Rewrite ``node`` bottom-up, children first (so a rewrite sees its arguments already in Spark form)."""
    _, exp = _sqlglot()
    # ``unicode(x) IN`` / ``ord(x[-1]) IN`` are rewritten whole, before their parts would be refused alone.
    if isinstance(node, exp.In) and isinstance(node.this, exp.Unicode | exp.Anonymous):
        rewritten = _code_point_list(node)
        if rewritten is not None:
            return rewritten
    right = node.expression if isinstance(node, exp.Add) else None
    if isinstance(right, exp.Anonymous) and right.name.lower() == "to_microseconds":
        # The session's time zone is UTC (``lake.spark``), so the wall-clock time is kept.
        return _spark("CAST(timestamp_micros(unix_micros(CAST(t AS TIMESTAMP)) + n) AS TIMESTAMP_NTZ)",
                      t=_convert(node.this), n=_convert(right.expressions[0]))
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, _convert(value))
        elif isinstance(value, list):
            node.set(key, [_convert(v) if isinstance(v, exp.Expression) else v for v in value])
    return _rewrite(node)


@functools.lru_cache(maxsize=4096)
def rule(duckdb_sql: str) -> str:
    """A rule expression written in DuckDB SQL (``ingest.rules``), as Spark SQL."""
    sqlglot, _ = _sqlglot()
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    return _convert(tree).sql(dialect="spark")


# --------------------------------------------------------------------------- check characters


def _weighted_sum(column: str, weights: tuple[int, ...], value_of: str) -> str:
    return " + ".join(f"{w} * {value_of.format(f'substr({column}, {i + 1}, 1)')}" for i, w in enumerate(weights))


def check_character(kind: str, column: str, today: dt.date | None = None) -> str:
    """The check character ``column`` must end with, or NULL when it is wrong before that: the Spark SQL of
    ``core.codes.expected_check_chars`` (same conditions, same result; on DuckDB that is a vectorised UDF)."""
    if kind == "uscc":
        pairs = "|".join(f"{a}[{cats}]" for a, cats in codes.USCC_AUTHORITIES.items())
        form = f"^(?:{pairs})[0-9]{{6}}[0-9A-HJ-NPQRTUWXY]{{9}}"
        alphabet = _literal(codes.USCC_ALPHABET)
        total = _weighted_sum(column, codes.USCC_WEIGHTS, f"(instr({alphabet}, {{}}) - 1)")
        return (f"CASE WHEN octet_length({column}) = 18 AND {column} RLIKE {_literal(form)} "
                f"THEN substr({alphabet}, pmod(31 - pmod({total}, 31), 31) + 1, 1) END")
    if kind == "id_card":
        day = today or clock.today()
        birth = f"CAST(try_to_timestamp(substr({column}, 7, 8), 'yyyyMMdd') AS DATE)"
        total = _weighted_sum(column, codes.ID_WEIGHTS, "(ascii({}) - 48)")
        return (f"CASE WHEN octet_length({column}) = 18 AND {column} RLIKE '^[1-9][0-9]{{16}}' "
                f"AND {birth} BETWEEN DATE '1900-01-01' AND DATE '{day.isoformat()}' "
                f"THEN substr({_literal(codes.ID_CHECK)}, pmod({total}, 11) + 1, 1) END")
    raise ValueError(f"unknown check kind: {kind}")
