"""The catalog's spreadsheet import refuses zip bombs and oversized files before reading them."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from regshare.catalog import transfer
from regshare.catalog.models import Resource


def _bomb() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["序号", "资源名称", "提供部门"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (40 << 20))
            target.writestr(info.filename, data)
    return out.getvalue()


def test_share_list_zip_bomb_is_refused(principal_of_user):
    before = Resource.objects.count()
    with pytest.raises(transfer.SheetError) as info:
        transfer.import_share_list(principal_of_user("scjg_liaison"), _bomb())
    assert info.value.code == "zip_ratio" and "压缩炸弹" in info.value.messages[0]
    assert Resource.objects.count() == before


def test_api_import_answers_400_with_a_chinese_message(client_as, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_as("scjg_liaison").post("/api/v1/catalog/import/share-list",
                                              {"file": SimpleUploadedFile("清单.xlsx", _bomb())})
    assert response.status_code == 400 and response.json()["code"] == "zip_ratio"
    settings.REGSHARE_MAX_UPLOAD_MB = 0
    response = client_as("scjg_liaison").post("/api/v1/catalog/import/share-list",
                                              {"file": SimpleUploadedFile("清单.xlsx", b"PK\x03\x04 small")})
    assert response.status_code == 400 and response.json()["code"] == "file_too_large"
