"""Pages and API of data provision, as the users would use them."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from regshare.ingest.models import Load, LoadStatus

from .helpers import company_row, company_rows, write_csv


def csv_upload(tmp_path, rows, name="data.csv", encoding="gbk"):
    path = write_csv(tmp_path / name, rows, encoding=encoding)
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def test_upload_page_runs_the_load_and_shows_its_report(make_resource, client_as, tmp_path):
    resource = make_resource()
    client = client_as("scjg_liaison")
    page = client.get("/ingest/upload/")
    assert page.status_code == 200 and resource.code in page.content.decode()
    rows = company_rows(30)
    rows[2][6] = "不是日期"
    attachment = SimpleUploadedFile("报送说明.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client.post("/ingest/upload/", {"resource": resource.code, "mode": "replace",
                                               "file": csv_upload(tmp_path, rows), "attachments": [attachment]})
    load = Load.objects.get(resource=resource)
    assert response.status_code == 302 and response["Location"] == f"/ingest/loads/{load.pk}/"
    assert load.status == LoadStatus.LOADED and load.rows_loaded == 29  # huey runs immediately in tests
    detail = client.get(response["Location"]).content.decode()
    assert "已入库 29 行" in detail and "日期无法识别" in detail and "报送说明.pdf" in detail
    assert "hx-trigger" not in detail  # finished: no more polling
    from django.urls import reverse

    from regshare.ingest.services import load_link

    assert load_link(load) == reverse("ingest:load", args=[load.pk])  # the link notifications carry
    rejects = client.get(f"/ingest/loads/{load.pk}/rejects/?format=csv")
    assert rejects.status_code == 200 and "成立日期" in rejects.content.decode("utf-8-sig")
    listing = client.get("/ingest/?q=" + resource.code).content.decode()
    assert f"#{load.pk}" in listing


def test_progress_partial_polls_while_running(make_resource, client_as, tmp_path):
    resource = make_resource()
    load = Load.objects.create(resource=resource, department=resource.provider, status=LoadStatus.RUNNING,
                               stage="读取、清洗与校验", progress=0.4)
    client = client_as("scjg_liaison")
    page = client.get(f"/ingest/loads/{load.pk}/").content.decode()
    assert f'hx-get="/ingest/loads/{load.pk}/progress/"' in page and 'hx-trigger="every 1s"' in page
    partial = client.get(f"/ingest/loads/{load.pk}/progress/")
    assert "40%" in partial.content.decode() and "HX-Refresh" not in partial
    Load.objects.filter(pk=load.pk).update(status=LoadStatus.LOADED, progress=1.0)
    assert client.get(f"/ingest/loads/{load.pk}/progress/")["HX-Refresh"] == "true"


def test_upload_refuses_word_file_and_other_departments(make_resource, client_as, tmp_path):
    resource = make_resource()
    client = client_as("scjg_liaison")
    word = SimpleUploadedFile("说明.docx", b"PK..", content_type="application/octet-stream")
    response = client.post("/ingest/upload/", {"resource": resource.code, "mode": "replace", "file": word})
    assert "Word/PDF 文件不能作为数据导入" in response.content.decode()
    assert not Load.objects.filter(resource=resource).exists()
    other = client_as("fgj_liaison").post("/ingest/upload/", {"resource": resource.code, "mode": "replace",
                                                              "file": csv_upload(tmp_path, company_rows(1))})
    assert other.status_code == 200 and not Load.objects.filter(resource=resource).exists()


def test_resource_quality_page_has_chart_and_versions(make_resource, client_as, tmp_path):
    from regshare.ingest import services

    resource = make_resource()
    services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(5)), resource)
    services.ingest_file("test", write_csv(tmp_path / "b.csv", company_rows(5) + [company_row(1)]), resource)
    page = client_as("fgj_analyst").get(f"/ingest/resources/{resource.code}/").content.decode()
    assert "vendor/echarts.min.js" in page and 'id="quality-chart"' in page
    # The chart's data travels as JSON (no inline script under the Content-Security-Policy).
    start = page.index('<script id="quality-series" type="application/json">') + len(
        '<script id="quality-series" type="application/json">')
    series = json.loads(page[start:page.index("</script>", start)])
    assert [p["uniqueness"] for p in series] == [1.0, round(5 / 6, 4)]
    assert "立即拉取" not in page


def test_duty_page_shows_lateness_to_the_data_bureau(make_resource, client_as):
    resource = make_resource()
    page = client_as("admin").get("/ingest/duty/?period=2026-01").content.decode()
    assert resource.name in page and "逾期未报送" in page
    own = client_as("scjg_liaison")
    assert "报送零报告" in own.get("/ingest/duty/?period=2026-01").content.decode()
    response = own.post("/ingest/duty/zero/", {"resource": resource.code, "period": "2026-01"})
    assert response.status_code == 302
    after = client_as("admin").get(f"/ingest/duty/?period=2026-01&q={resource.code}").content.decode()
    assert "零报告" in after and "逾期报送" in after  # filed after the 5th of February
    assert resource.name not in client_as("fgj_liaison").get("/ingest/duty/?period=2026-01").content.decode()


def test_api_upload_status_and_rejects(make_resource, client_as, tmp_path):
    resource = make_resource()
    client = client_as("scjg_liaison")
    rows = company_rows(25)
    rows[0][9] = "歇业"
    response = client.post(f"/api/v1/ingest/resources/{resource.code}/loads",
                           {"file": csv_upload(tmp_path, rows, encoding="utf-8"), "mode": "replace"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "loaded" and body["rows_loaded"] == 24 and body["version"] == 0
    assert body["errors"][0]["reason"].startswith("不在枚举值范围内")
    got = client.get(f"/api/v1/ingest/loads/{body['id']}").json()
    assert got["quality"]["validity"] == 0.96
    listing = client.get(f"/api/v1/ingest/loads?resource={resource.code}").json()
    assert listing["count"] == 1
    csv_text = client.get(f"/api/v1/ingest/loads/{body['id']}/rejects?format=csv").content.decode("utf-8-sig")
    assert "歇业" in csv_text
    quality = client.get(f"/api/v1/ingest/resources/{resource.code}/quality").json()
    assert quality["current"]["validity"] == 0.96 and len(quality["series"]) == 1


def test_api_bad_input_changes_nothing(make_resource, client_as):
    resource = make_resource()
    client = client_as("scjg_liaison")
    bad = client.post(f"/api/v1/ingest/resources/{resource.code}/loads",
                      {"file": SimpleUploadedFile("x.exe", b"MZ"), "mode": "replace"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_format"
    mode = client.post(f"/api/v1/ingest/resources/{resource.code}/loads",
                       {"file": SimpleUploadedFile("x.csv", b"a,b\n"), "mode": "sideways"})
    assert mode.status_code == 400 and mode.json()["code"] == "bad_mode"
    zero = client.post(f"/api/v1/ingest/resources/{resource.code}/zero-report", {"period": "2026-13"},
                       content_type="application/json")
    assert zero.status_code == 400 and zero.json()["code"] == "bad_period"
    assert not Load.objects.filter(resource=resource).exists()
    forbidden = client_as("fgj_analyst").post(f"/api/v1/ingest/resources/{resource.code}/pull")
    assert forbidden.status_code == 403


def test_api_duty_listing(make_resource, client_as):
    resource = make_resource()
    rows = client_as("admin").get("/api/v1/ingest/duty?period=2026-01").json()["items"]
    mine = [r for r in rows if r["resource"] == resource.code]
    assert mine and mine[0]["status"] == "overdue" and mine[0]["due"] == "2026-02-05"


def test_api_sets_a_table_source_and_pulls(make_resource, client_as, tmp_path, allow_egress):
    import sqlite3

    allow_egress(tmp_path)

    resource = make_resource(provision="table")
    db = tmp_path / "dept.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE ent (统一社会信用代码 TEXT, 企业名称 TEXT, changed INTEGER)")
        conn.executemany("INSERT INTO ent VALUES (?, ?, ?)", [(r[0], r[1], i) for i, r in enumerate(company_rows(3))])
    client = client_as("scjg_liaison")
    bad = client.put(f"/api/v1/ingest/resources/{resource.code}/source",
                     {"kind": "table", "url": f"sqlite:///{db}", "table": "ent; drop"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_table"
    ok = client.put(f"/api/v1/ingest/resources/{resource.code}/source",
                    {"kind": "table", "url": f"sqlite:///{db}", "table": "ent", "watermark_column": "changed"},
                    content_type="application/json")
    assert ok.status_code == 200 and ok.json()["watermark_column"] == "changed"
    pulled = client.post(f"/api/v1/ingest/resources/{resource.code}/pull").json()
    assert pulled["status"] == "loaded" and pulled["rows_loaded"] == 3
    other = client_as("fgj_liaison").put(f"/api/v1/ingest/resources/{resource.code}/source",
                                         {"kind": "table", "url": f"sqlite:///{db}", "table": "ent"},
                                         content_type="application/json")
    assert other.status_code == 403


def test_catalog_resource_page_shows_quality_panel_and_review_form_counts(make_resource, client_as, tmp_path):
    import datetime as dt

    from regshare.catalog import transfer
    from regshare.ingest import services

    resource = make_resource()
    result = services.ingest_file("test", write_csv(tmp_path / "a.csv", company_rows(5)), resource)
    page = client_as("fgj_analyst").get(f"/catalog/r/{resource.code}/").content.decode()
    assert "归集与质量" in page and 'id="catalog-quality-chart"' in page
    assert f"/ingest/resources/{resource.code}/" in page
    period = services.previous_month(result.load.finished_at.date())
    last = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    assert services.rows_reported(resource, period, last) == 5
    assert services.rows_reported(resource, dt.date(2020, 1, 1), dt.date(2020, 1, 31)) is None
    services.record_zero_report("test", resource, dt.date(2020, 1, 1))
    assert services.rows_reported(resource, dt.date(2020, 1, 1), dt.date(2020, 1, 31)) == 0
    assert services.rows_reported in transfer._PERIOD_COUNTERS
