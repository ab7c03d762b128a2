"""Upload limits: the size setting on every upload path and the zip-bomb guard before any parsing."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from regshare.ingest import services
from regshare.ingest.models import Load, LoadAttachment, LoadStatus

from .helpers import company_rows, write_csv, write_xlsx

SHEET = "xl/worksheets/sheet1.xml"


def _stored_uploads() -> int:
    return sum(1 for _ in services.storage_dir("uploads").iterdir())


def _rewritten(xlsx: bytes, member: str, transform) -> bytes:
    """The workbook with one member's XML replaced (how a crafted file is made from a real one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, transform(data) if info.filename == member else data)
    return out.getvalue()


def real_xlsx(tmp_path) -> bytes:
    return write_xlsx(tmp_path / "real.xlsx", company_rows(3)).read_bytes()


def claims_five_million_rows(tmp_path) -> bytes:
    import re

    return _rewritten(real_xlsx(tmp_path), SHEET,
                      lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:J5000000"', xml))


def decompresses_huge(tmp_path) -> bytes:
    # 40 MB of blank space inside the sheet compresses to a few dozen kilobytes.
    return _rewritten(real_xlsx(tmp_path), SHEET, lambda xml: xml.replace(b"<sheetData>", b"<sheetData>"
                                                                         + b" " * (40 << 20)))


def _upload(client, resource, content: bytes, name: str):
    return client.post(f"/api/v1/ingest/resources/{resource.code}/loads", {"file": SimpleUploadedFile(name, content)})


def test_upload_over_the_size_setting_is_refused_and_nothing_is_stored(make_resource, client_as, settings, tmp_path):
    settings.REGSHARE_MAX_UPLOAD_MB = 1
    resource = make_resource()
    big = write_csv(tmp_path / "big.csv", company_rows(12000)).read_bytes()
    assert len(big) > 1 << 20
    before = _stored_uploads()
    response = _upload(client_as("scjg_liaison"), resource, big, "big.csv")
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large" and "超过大小上限 1 MB" in response.json()["message"]
    assert not Load.objects.filter(resource=resource).exists() and _stored_uploads() == before


@pytest.mark.parametrize("craft, code", [(claims_five_million_rows, "too_many_rows"),
                                         (decompresses_huge, "zip_ratio")])
def test_crafted_xlsx_is_refused_before_parsing(make_resource, client_as, tmp_path, craft, code):
    resource = make_resource()
    content = craft(tmp_path)
    assert len(content) < 200_000  # small on the wire
    before = _stored_uploads()
    response = _upload(client_as("scjg_liaison"), resource, content, "bomb.xlsx")
    assert response.status_code == 400 and response.json()["code"] == code
    assert not Load.objects.filter(resource=resource).exists() and _stored_uploads() == before


def test_unzipped_size_limit_is_a_setting(make_resource, tmp_path, settings):
    settings.REGSHARE_MAX_UNZIPPED_MB = 1
    resource = make_resource()
    content = _rewritten(real_xlsx(tmp_path), SHEET,
                         lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (2 << 20)))
    path = tmp_path / "large.xlsx"
    path.write_bytes(content)
    result = services.ingest_file("test", path, resource)  # the command-line path goes through the same reader
    assert result.load.status == LoadStatus.REJECTED and "解压后" in result.message


def test_a_genuine_xlsx_still_loads(make_resource, tmp_path):
    resource = make_resource()
    path = tmp_path / "ok.xlsx"
    path.write_bytes(real_xlsx(tmp_path))
    assert services.ingest_file("test", path, resource).rows_loaded == 3


def test_attachment_with_false_content_is_refused(make_resource, client_as, tmp_path):
    resource = make_resource()
    data = SimpleUploadedFile("data.csv", write_csv(tmp_path / "d.csv", company_rows(2)).read_bytes())
    fake = SimpleUploadedFile("报送说明.pdf", b"MZ\x90\x00 not a pdf")
    response = client_as("scjg_liaison").post("/ingest/upload/", {"resource": resource.code, "mode": "replace",
                                                                   "file": data, "attachments": [fake]})
    assert "内容不是有效的PDF文件" in response.content.decode()
    assert not Load.objects.filter(resource=resource).exists() and not LoadAttachment.objects.exists()
