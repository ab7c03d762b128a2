"""Spreadsheet-safe exports: no value a department shared may turn into a formula in the reader's Excel.

A text cell that Excel, WPS or LibreOffice would read as a formula (``=HYPERLINK(...)``, ``+1+1``,
``-2+3``, ``@SUM(A1)``, also after leading spaces or line breaks, and a leading tab or carriage return)
is written

* to CSV with a single quote in front (the OWASP CSV-injection rule), so the program shows it as text;
* to XLSX as a string cell, never a formula cell, with its text unchanged.

Numbers, dates and empty cells are left as they are: only text is neutralised, so a numeric column of
negative numbers stays numeric. Every CSV or XLSX the platform writes goes through this module.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from regshare.core.lazy import lazy_module

if TYPE_CHECKING:
    from django.http import HttpResponse

np = lazy_module("numpy")
pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

# The same pattern for Python strings and for Arrow's RE2 engine (``\s`` would differ between the two).
_RISKY_PATTERN = r"^(?:[\t\r]|[\t\n\r\f\v ]*[=+\-@])"
_RISKY = re.compile(_RISKY_PATTERN)


@functools.cache
def _first_bytes() -> np.ndarray:
    """``table[byte]``: whether a value starting with that byte could be read as a formula."""
    table = np.zeros(256, dtype=bool)
    table[list(b"=+-@\t\n\r\f\v ")] = True
    return table

QUOTE = "'"


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet program could read this text as a formula."""
    return bool(_RISKY.match(text))


def csv_text(value: Any) -> Any:
    """A CSV cell: risky text gets a leading single quote; every other value is returned unchanged."""
    if isinstance(value, str) and _RISKY.match(value):
        return QUOTE + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_text(v) for v in values]


def csv_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``csv_text`` over a whole Arrow text column, vectorised.

    Nearly all values start with a harmless character, so the first byte of every value is looked up in
    a table straight from Arrow's buffers (about 20 ms a million values) and the regular expression runs
    only on the few candidates; a column without any is returned as it is.
    """
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([csv_array(chunk) for chunk in array.chunks], type=array.type)
    candidates = _candidate_positions(array)
    if candidates.size == 0:
        return array
    subset = array.take(pa.array(candidates))
    risky = pc.fill_null(pc.match_substring_regex(subset, _RISKY_PATTERN), False)
    if not pc.any(risky).as_py():
        return array
    mask = np.zeros(len(array), dtype=bool)
    mask[candidates[risky.to_numpy(zero_copy_only=False)]] = True
    replacements = pc.binary_join_element_wise(pa.scalar(QUOTE, array.type), subset.filter(risky),
                                               pa.scalar("", array.type))
    return pc.replace_with_mask(array, pa.array(mask), replacements)


def _candidate_positions(array: pa.Array) -> np.ndarray:
    """Positions of the values whose first byte could start a formula (nulls and empty text never do)."""
    _validity, offsets_buffer, data_buffer = array.buffers()
    if data_buffer is None or len(array) == 0:
        return np.empty(0, dtype=np.int64)
    offset_type = np.int64 if array.type == pa.large_string() else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[array.offset:array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    if data.size == 0:
        return np.empty(0, dtype=np.int64)
    starts = offsets[:-1]
    first = data[np.minimum(starts, data.size - 1)]
    # A null's offsets are equal too, so "non-empty" also leaves out nulls.
    return np.flatnonzero(_first_bytes()[first] & (offsets[1:] > starts))


def csv_table(table: pa.Table) -> pa.Table:
    """The table with every text column passed through ``csv_array``; other columns are untouched."""
    for index, column_field in enumerate(table.schema):
        if column_field.type in (pa.string(), pa.large_string()):
            table = table.set_column(index, column_field, csv_array(table.column(index)))
    return table


def xlsx_row(sheet, values: Iterable[Any]) -> list[Any]:
    """Values for ``sheet.append``: openpyxl turns any text starting with ``=`` into a formula cell, so
    such text becomes a cell forced to the string type. Characters XML cannot carry are dropped (openpyxl
    would refuse the whole file for one control character in one value)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    row: list[Any] = []
    for value in values:
        if isinstance(value, str):
            if ILLEGAL_CHARACTERS_RE.search(value):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                value = cell
        row.append(value)
    return row


# ----------------------------------------------------------------------------- list exports (Excel)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_EXPORT_MAX_ROWS = 200_000


@dataclass(frozen=True)
class Column:
    """One column of a list export: its Chinese header and how to read the value from a row."""

    header: str
    value: Callable[[Any], Any]


def cell_value(value: Any) -> Any:
    """A value Excel can hold: times in Beijing time without a zone (Excel has none), choices and other
    objects as their text, booleans as 是/否."""
    import datetime as dt

    from django.utils import timezone

    if value is None or isinstance(value, str | int | float | dt.date) and not isinstance(value, dt.datetime | bool):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(str(v) for v in value)
    return str(value)


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[Any], title: str = "数据") -> tuple[bytes, int]:
    """The rows as one worksheet (headers first, every text cell through ``xlsx_row``) and their count."""
    import tempfile

    from django.core.exceptions import ValidationError
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "数据")
    sheet.append(xlsx_row(sheet, [c.header for c in columns]))
    count = 0
    for row in rows:
        count += 1
        if count > LIST_EXPORT_MAX_ROWS:
            raise ValidationError(f"导出超过 {LIST_EXPORT_MAX_ROWS} 行,请缩小筛选范围后再导出", code="too_many_rows")
        sheet.append(xlsx_row(sheet, [cell_value(c.value(row)) for c in columns]))
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        return handle.read(), count


def xlsx_response(principal: Any, what: str, filename: str, columns: Sequence[Column], rows: Iterable[Any],
                  detail: dict | None = None) -> HttpResponse:
    """A list page's Excel export: the file as an attachment, the export audited (``export.xlsx``, naming
    the list, the filters and the row count)."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from regshare.core import audit

    data, count = xlsx_bytes(columns, rows, title=what)
    audit.record(principal, "export.xlsx", what, {"rows": count, "file": filename, **(detail or {})})
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
