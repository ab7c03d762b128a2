"""Reading provider files into one shape: a DuckDB relation of raw text columns named by code name.

CSV goes straight to DuckDB's parallel reader (UTF-8 with or without BOM; GBK/GB18030 are
transcoded to a temporary UTF-8 file first, because DuckDB's own GB encodings need a download).
Excel (python-calamine), JSON and NDJSON become an Arrow table of strings. The header row is
found among the first rows by matching titles to the resource's fields, so a title row above the
header, extra spaces and full-width characters do not matter.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError

from regshare.core import uploads
from regshare.core.lazy import lazy_module

from .rules import FieldSpec, ident, lit, match_columns

pa = lazy_module("pyarrow")

CSV_EXT = {".csv", ".txt", ".tsv"}
EXCEL_EXT = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
JSON_EXT = {".json"}
NDJSON_EXT = {".ndjson", ".jsonl"}
ATTACHMENT_EXT = {".doc", ".docx", ".pdf", ".wps", ".ofd"}
HEADER_SCAN_ROWS = 30
SAMPLE_BYTES = 1 << 20


@dataclass
class Source:
    """A readable source: ``sql`` selects one raw VARCHAR column per matched code name and ``_row``,
    the row's number in the file, unless ``first_row`` is set: then rows are numbered by position
    from it (the reader keeps the file's order)."""

    sql: str
    file_format: str
    encoding: str = ""
    header_row: int = 1
    columns: list[str] = field(default_factory=list)          # matched code names
    ignored_columns: list[str] = field(default_factory=list)  # titles that match no field
    arrow: pa.Table | None = None                            # registered as ``src_arrow`` when set
    first_row: int | None = None
    temp_files: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        for name in self.temp_files:
            try:
                os.unlink(name)
            except OSError:
                pass


def detect_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in CSV_EXT:
        return "csv"
    if ext in EXCEL_EXT:
        return "excel"
    if ext in JSON_EXT:
        return "json"
    if ext in NDJSON_EXT:
        return "ndjson"
    if ext in ATTACHMENT_EXT:
        raise ValidationError("Word/PDF 文件不能作为数据导入,请作为本次归集的附件上传", code="attachment_only")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"
    if head.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig`` / ``utf-8`` / ``gbk`` / ``gb18030``: decided from the bytes, never asked."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    cut = sample[: sample.rfind(b"\n") + 1] or sample
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            cut.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise ValidationError("无法识别文件编码,请另存为 UTF-8 或 GBK 编码的 CSV", code="unknown_encoding")
    return best.encoding


def _find_header(rows: list[list], fields: list[FieldSpec]) -> tuple[int, dict[int, str]]:
    best, best_map = -1, {}
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        mapping = match_columns(row, fields)
        if len(mapping) > len(best_map):
            best, best_map = i, mapping
    if best < 0:
        names = "、".join(f.name for f in fields[:6])
        raise ValidationError(f"未找到表头:文件前 {HEADER_SCAN_ROWS} 行中没有与资源字段({names}…)匹配的列名",
                              code="header_not_found")
    return best, best_map


def _transcode(path: Path, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="regshare-ingest-")
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
            while chunk := src.read(8 << 20):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        os.unlink(name)
        raise ValidationError(f"文件编码识别为 {encoding.upper()},但第 {exc.start} 字节附近有无法解码的内容",
                              code="bad_encoding") from exc
    return name


def open_csv(path: Path, fields: list[FieldSpec]) -> Source:
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise ValidationError("文件为空", code="empty_file")
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="ignore")
    lines = text.splitlines()[:HEADER_SCAN_ROWS]
    best = None
    for delim in (",", "\t", ";", "|"):
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        try:
            header_at, mapping = _find_header(rows, fields)
        except ValidationError:
            continue
        if best is None or len(mapping) > len(best[2]):
            best = (delim, header_at, mapping, rows[header_at])
    if best is None:
        _find_header([], fields)  # raises the Chinese message
    delim, header_at, mapping, titles = best
    temp: list[str] = []
    read_path = str(path)
    if encoding not in ("utf-8", "utf-8-sig", "ascii"):
        read_path = _transcode(path, encoding)
        temp.append(read_path)
    width = len(titles)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    select = ", ".join(f"c{i} AS {ident(code)}" for i, code in sorted(mapping.items()))
    sql = (f"SELECT {select} "
           f"FROM read_csv({lit(read_path)}, header = false, skip = {header_at + 1}, delim = {lit(delim)}, "
           f"quote = '\"', escape = '\"', columns = {columns}, auto_detect = false, null_padding = true, "
           f"strict_mode = false, max_line_size = 4194304)")
    ignored = [str(t) for i, t in enumerate(titles) if i not in mapping and str(t).strip()]
    name = {"utf-8-sig": "UTF-8(BOM)", "utf-8": "UTF-8", "ascii": "UTF-8"}.get(encoding, encoding.upper())
    return Source(sql=sql, file_format="csv", encoding=name, header_row=header_at + 1, first_row=header_at + 2,
                  columns=[mapping[i] for i in sorted(mapping)], ignored_columns=ignored, temp_files=temp)


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text != "" else None


def rows_to_source(rows: list[list], fields: list[FieldSpec], file_format: str, *, first_row: int = 1) -> Source:
    """A source from rows of cells where the header is among the first rows (Excel, pulled tables)."""
    header_at, mapping = _find_header(rows, fields)
    titles = rows[header_at]
    body = rows[header_at + 1:]
    arrays = {"_row": pa.array(range(header_at + first_row + 1, header_at + first_row + 1 + len(body)),
                               type=pa.int64())}
    for i, code in mapping.items():
        arrays[code] = pa.array([_cell_text(r[i]) if i < len(r) else None for r in body], type=pa.string())
    table = pa.table(arrays)
    ignored = [str(t) for i, t in enumerate(titles) if i not in mapping and t not in (None, "")]
    cols = [mapping[i] for i in sorted(mapping)]
    select = ", ".join(ident(c) for c in cols)
    return Source(sql=f"SELECT _row, {select} FROM src_arrow", file_format=file_format,
                  header_row=header_at + first_row, columns=cols, ignored_columns=ignored, arrow=table)


def records_to_source(records: list[dict], fields: list[FieldSpec], file_format: str) -> Source:
    """A source from a list of objects (JSON, HTTP pulls, database rows): keys are the titles."""
    keys: list[str] = []
    seen: set[str] = set()
    for rec in records[:1000]:
        if not isinstance(rec, dict):
            raise ValidationError("JSON 数据应为对象数组,每个对象一行", code="bad_json_shape")
        for k in rec:
            if k not in seen:
                seen.add(k)
                keys.append(k)
    mapping = match_columns(keys, fields)
    if not mapping:
        names = "、".join(f.name for f in fields[:6])
        raise ValidationError(f"数据中没有与资源字段({names}…)匹配的键", code="header_not_found")
    arrays = {"_row": pa.array(range(1, len(records) + 1), type=pa.int64())}
    for i, code in mapping.items():
        key = keys[i]
        arrays[code] = pa.array([_cell_text(r.get(key)) if isinstance(r, dict) else None for r in records],
                                type=pa.string())
    cols = [mapping[i] for i in sorted(mapping)]
    ignored = [k for i, k in enumerate(keys) if i not in mapping]
    return Source(sql=f"SELECT _row, {', '.join(ident(c) for c in cols)} FROM src_arrow", file_format=file_format,
                  header_row=0, columns=cols, ignored_columns=ignored, arrow=pa.table(arrays))


def open_excel(path: Path, fields: list[FieldSpec]) -> Source:
    from python_calamine import CalamineWorkbook

    uploads.check_zip_upload(path)  # before calamine decompresses anything
    try:
        book = CalamineWorkbook.from_path(str(path))
        best: Source | None = None
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            try:
                found = rows_to_source(rows, fields, "excel")
            except ValidationError:
                continue
            if best is None or len(found.columns) > len(best.columns):
                best = found
    except ValidationError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged workbooks
        raise ValidationError(f"无法读取 Excel 文件:{exc}", code="bad_excel") from exc
    if best is None:
        _find_header([], fields)
    return best


def open_json(path: Path, fields: list[FieldSpec], ndjson: bool) -> Source:
    raw = path.read_bytes()
    encoding = detect_encoding(raw[:SAMPLE_BYTES])
    text = raw.decode(encoding)
    try:
        if ndjson:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
            records = extract_records(data)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"JSON 格式错误:第 {exc.lineno} 行第 {exc.colno} 列", code="bad_json") from exc
    source = records_to_source(records, fields, "ndjson" if ndjson else "json")
    source.encoding = "UTF-8" if encoding.startswith("utf") else encoding.upper()
    return source


def extract_records(data) -> list:
    """The list of records in a JSON document: the document itself or its first list under a usual key."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("data", "rows", "records", "items", "list", "result", "results"):
            value = data.get(key)
            if isinstance(value, list):
                return value
            if isinstance(value, dict):
                inner = extract_records(value)
                if inner:
                    return inner
    raise ValidationError("JSON 中没有找到数据数组(应为对象数组,或放在 data/rows/records 键下)",
                          code="bad_json_shape")


def open_file(path: Path, fields: list[FieldSpec]) -> Source:
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"文件不存在: {path}", code="file_not_found")
    kind = detect_format(path)
    if kind == "csv":
        return open_csv(path, fields)
    if kind == "excel":
        return open_excel(path, fields)
    return open_json(path, fields, ndjson=kind == "ndjson")
