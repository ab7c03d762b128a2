"""Checks every uploaded file passes before it is stored or parsed: size, real content, zip bombs.

* Size: ``REGSHARE_MAX_UPLOAD_MB`` (default 200) for every upload path; some paths have a lower limit
  of their own (the catalog's spreadsheets, approval documents).
* Content: a document must be what its name says (a ``.pdf`` starts with ``%PDF``, a ``.png`` is a PNG,
  a ``.docx`` is a zip holding a Word document …), judged from its bytes, never from the name alone.
* Zip archives (XLSX, XLSM, XLSB, ODS, DOCX, OFD): before any parser opens one, the sizes its directory
  declares are checked (``REGSHARE_MAX_UNZIPPED_MB``, ``REGSHARE_MAX_ZIP_RATIO``) and, for XLSX, each
  sheet's declared dimension (``REGSHARE_MAX_SHEET_ROWS``), so a small file cannot make the server
  decompress gigabytes or build a million-row grid in memory.

Every refusal is a ``ValidationError`` with a Chinese message and a stable code; nothing is stored.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError

MB = 1024 * 1024
# Below this many uncompressed bytes a high compression ratio is harmless (an empty sheet compresses well).
RATIO_FLOOR_BYTES = 10 * MB
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::[A-Z]{1,3}(\d+))?\"")
_DIMENSION_SCAN_BYTES = 64 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "REGSHARE_MAX_UPLOAD_MB", 200)) * MB


def size_of(uploaded: Any) -> int:
    """The size of a Django upload, an open binary file or a path."""
    if isinstance(uploaded, str | Path):
        return Path(uploaded).stat().st_size
    size = getattr(uploaded, "size", None)
    if size is not None:
        return int(size)
    position = uploaded.tell()
    uploaded.seek(0, 2)
    size = uploaded.tell()
    uploaded.seek(position)
    return size


def check_size(uploaded: Any, *, limit_bytes: int | None = None, label: str = "上传文件") -> None:
    limit = min(max_upload_bytes(), limit_bytes) if limit_bytes else max_upload_bytes()
    if size_of(uploaded) > limit:
        raise ValidationError(f"{label}超过大小上限 {_megabytes(limit)} MB,请压缩或拆分后再上传",
                              code="file_too_large")


def _megabytes(size: int) -> str:
    value = size / MB
    return f"{value:.0f}" if value >= 1 else f"{value:.2f}"


# ----------------------------------------------------------------------------- content by magic bytes

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003, WPS, Excel 97-2003
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".doc": (_OLE,),
    ".wps": (_OLE,),
}
# Zip-based documents and the member that makes them what they claim to be.
_ZIP_MEMBERS = {".docx": "word/document.xml", ".ofd": "OFD.xml"}
_KIND_LABELS = {".pdf": "PDF", ".png": "PNG 图片", ".jpg": "JPEG 图片", ".jpeg": "JPEG 图片", ".doc": "Word",
                ".wps": "WPS", ".docx": "Word", ".ofd": "OFD"}


def _head(handle: IO[bytes], size: int) -> bytes:
    position = handle.tell()
    handle.seek(0)
    data = handle.read(size)
    handle.seek(position)
    return data


def check_document(uploaded: Any, name: str, *, label: str = "文件") -> None:
    """Refuse a document whose bytes are not of the kind its name claims (PDF, image, Word, WPS, OFD)."""
    suffix = Path(name).suffix.lower()
    with _opened(uploaded) as handle:
        head = _head(handle, 16)
        if suffix in _SIGNATURES:
            ok = any(head.startswith(signature) for signature in _SIGNATURES[suffix])
        elif suffix in _ZIP_MEMBERS:
            ok = head.startswith(b"PK\x03\x04") and _zip_has(handle, _ZIP_MEMBERS[suffix])
        else:
            raise ValidationError(f"{label}类型不受支持:{Path(name).name}", code="bad_file_type")
    if not ok:
        raise ValidationError(f"{label}「{Path(name).name}」的内容不是有效的{_KIND_LABELS[suffix]}文件,"
                              "请上传原始文件,不要只修改扩展名", code="bad_file_content")


def _zip_has(handle: IO[bytes], member: str) -> bool:
    position = handle.tell()
    try:
        with zipfile.ZipFile(handle) as archive:
            check_archive(archive)
            return member in archive.NameToInfo
    except zipfile.BadZipFile:
        return False
    finally:
        handle.seek(position)


class _opened:
    """A binary handle on an upload or a path, positioned as found and closed only if opened here."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.handle: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        if isinstance(self.source, str | Path):
            self.handle = open(self.source, "rb")  # noqa: SIM115 - closed in __exit__
            return self.handle
        return getattr(self.source, "file", None) or self.source

    def __exit__(self, *_exc) -> None:
        if self.handle is not None:
            self.handle.close()


# ----------------------------------------------------------------------------- zip bombs


def max_unzipped_bytes() -> int:
    return int(getattr(settings, "REGSHARE_MAX_UNZIPPED_MB", 2048)) * MB


def max_zip_ratio() -> float:
    return float(getattr(settings, "REGSHARE_MAX_ZIP_RATIO", 100))


def max_sheet_rows() -> int:
    return int(getattr(settings, "REGSHARE_MAX_SHEET_ROWS", 1_000_000))


def check_zip_upload(source: Any) -> None:
    """The zip-bomb guard for a zip-based upload (a path or a binary file); a file that is not a zip
    passes untouched, its own reader decides about it."""
    with _opened(source) as handle:
        if not _head(handle, 4).startswith(b"PK\x03\x04"):
            return
        position = handle.tell()
        try:
            with zipfile.ZipFile(handle) as archive:
                check_archive(archive)
        except zipfile.BadZipFile as exc:
            raise ValidationError("文件已损坏,无法作为压缩包(Excel/Word)读取", code="bad_zip") from exc
        finally:
            handle.seek(position)


def check_archive(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    unzipped = sum(info.file_size for info in members)
    compressed = sum(info.compress_size for info in members)
    if unzipped > max_unzipped_bytes():
        raise ValidationError(f"文件解压后约 {_megabytes(unzipped)} MB,超过上限 {_megabytes(max_unzipped_bytes())} MB,"
                              "请拆分后上传或改用 CSV", code="unzipped_too_large")
    if unzipped > RATIO_FLOOR_BYTES and unzipped > max_zip_ratio() * max(compressed, 1):
        raise ValidationError(f"文件压缩比异常(约 {unzipped / max(compressed, 1):.0f} 倍),疑似压缩炸弹,已拒收",
                              code="zip_ratio")
    limit = max_sheet_rows()
    for info in members:
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        rows = _declared_rows(archive, info)
        if rows is not None and rows > limit:
            raise ValidationError(f"工作表声明有 {rows} 行,超过上限 {limit} 行,请拆分后上传或改用 CSV",
                                  code="too_many_rows")


def _declared_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int | None:
    """The last row of the sheet's ``<dimension ref="A1:J500"/>``, read from the start of its XML only."""
    with archive.open(info) as member:
        head = member.read(_DIMENSION_SCAN_BYTES)
    found = _DIMENSION.search(head)
    if found is None:
        return None
    last = found.group(3) or found.group(2)
    return int(last) if last else None
