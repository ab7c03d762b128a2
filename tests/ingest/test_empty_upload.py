"""A file with only its header row is an upload with no data: a clear answer, never a server error."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from .helpers import write_csv


def test_header_only_csv_gets_a_clear_answer(make_resource, client_as, tmp_path):
    resource = make_resource()
    client = client_as("scjg_liaison")
    path = write_csv(tmp_path / "empty.csv", [])
    response = client.post(f"/api/v1/ingest/resources/{resource.code}/loads",
                           {"file": SimpleUploadedFile("empty.csv", path.read_bytes(), content_type="text/csv"),
                            "mode": "replace"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "rejected" and body["rows_in"] == 0 and body["version"] is None
    assert body["message"] == "文件中没有数据行"
