import io
import json

from openpyxl import Workbook, load_workbook

from regshare.core import panels
from regshare.entities.models import Entity
from regshare.supervision.models import Complaint, InspectionTask, SupervisionItem

TASK = "柴桑双随机〔2026〕1号"


def test_pages_render_in_chinese(sup, client_as):
    client = client_as("scjg_liaison")
    task = InspectionTask.objects.get(code=TASK)
    complaint = Complaint.objects.filter(department__code="360404-SCJG").first()
    for url, text in [("/supervision/items/", "监管事项目录清单"), ("/supervision/records/", "监管行为记录"),
                      ("/supervision/tasks/", TASK), (f"/supervision/tasks/{task.pk}/", "随机种子"),
                      ("/supervision/complaints/", "投诉举报"), (f"/supervision/complaints/{complaint.pk}/", "流转记录"),
                      ("/supervision/assistance/", "协查"), ("/supervision/cases/", "重点事件")]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_public_draw_page_and_record_need_no_login(sup, client):
    task = InspectionTask.objects.get(code=TASK)
    page = client.get(f"/supervision/draws/{task.pk}/")
    assert page.status_code == 200 and "✔" in page.content.decode()
    record = json.loads(client.get(f"/supervision/draws/{task.pk}/record.json").content)
    assert record["seed"] == task.seed and record["algorithm"] == "sha256-rank-v1"
    draft = InspectionTask.objects.get(code="柴桑双随机〔2026〕2号")
    assert client.get(f"/supervision/draws/{draft.pk}/").status_code == 404  # nothing public before the draw
    api = client.get(f"/api/v1/supervision/draws/{task.pk}")
    assert api.status_code == 200 and api.json()["pool_sha256"] == task.pool_sha256


def test_items_export_neutralises_formulas_and_import_reports_rows(sup, client_as):
    item = SupervisionItem.objects.first()
    item.measures = "=HYPERLINK(\"http://x\")"
    item.save()
    client = client_as("scjg_admin")
    response = client.get("/supervision/items/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "监管事项目录编码"
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == item.measures)
    assert cell.data_type == "s"

    book = Workbook()
    ws = book.active
    ws.append(["监管事项目录编码", "监管部门", "主项名称", "子项名称", "监管方式", "监管对象", "设定依据", "监管层级"])
    ws.append(["36040400100999", "区市场监管局", "对广告发布的监督检查", "", "双随机抽查", "广告发布者", "《广告法》", "区县级"])
    ws.append(["3604", "区市场监管局", "坏编码", "", "双随机抽查", "x", "y", "区县级"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.name = "items.xlsx"
    buffer.seek(0)
    response = client.post("/supervision/items/import/", {"file": buffer}, follow=True)
    text = response.content.decode()
    assert "已导入 1 条监管事项" in text and "第3行" in text and "14位数字" in text
    assert SupervisionItem.objects.filter(catalog_code="36040400100999", way="random").exists()


def test_hotline_orders_imported_and_routed(sup, client_as):
    book = Workbook()
    ws = book.active
    ws.append(["12345工单导出"])
    ws.append(["工单编号", "来电日期", "诉求类型", "诉求分类", "发生区域", "被反映对象", "诉求内容"])
    ws.append(["GD-1", "2026-10-20", "举报", "食品安全", "360404", "某超市", "销售过期牛奶"])
    ws.append(["GD-2", "不是日期", "投诉", "", "360404", "某店", "内容"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.name = "orders.xlsx"
    buffer.seek(0)
    response = client_as("admin").post("/supervision/complaints/import/", {"file": buffer}, follow=True)
    assert "已导入 1 条工单" in response.content.decode()
    order = Complaint.objects.get(order_no="GD-1")
    assert order.kind == "report" and order.department.code == "360404-SCJG" and order.source == "import"


def test_api_intake_steps_and_chinese_errors(sup, client_as):
    client = client_as("admin")
    response = client.post("/api/v1/supervision/complaints", {"order_no": "API-1", "content": "餐馆油烟扰民"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["department"] == "区城管局"
    cid = response.json()["id"]
    assert "accept" in response.json()["actions"]
    again = client.post("/api/v1/supervision/complaints", {"order_no": "API-1", "content": "x"},
                        content_type="application/json")
    assert again.status_code in (400, 422) and again.json()["code"] == "duplicate_order_no"
    wrong = client.post(f"/api/v1/supervision/complaints/{cid}/close", {}, content_type="application/json")
    assert wrong.status_code in (400, 409, 422) and "不能归档" in json.dumps(wrong.json(), ensure_ascii=False)
    ok = client.post(f"/api/v1/supervision/complaints/{cid}/accept", {}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    listing = client.get("/api/v1/supervision/complaints?page=1").json()
    assert listing["count"] >= 1 and len(listing["items"]) <= 20


def test_api_record_refused_for_unknown_item(sup, client_as):
    client = client_as("scjg_liaison")
    entity = Entity.objects.first()
    response = client.post("/api/v1/supervision/records", {
        "kind": "licence", "doc_no": "A1", "catalog_code": "99999999999999", "uscc": entity.uscc,
        "decided_on": "2026-10-01"}, content_type="application/json")
    assert response.status_code in (400, 422) and response.json()["code"] == "unknown_item"


def test_entity_panel_respects_visibility(sup, principal_of_user):
    from regshare.supervision.models import SupervisionRecord

    record = SupervisionRecord.objects.filter(kind="penalty").first()
    fns = [fn for _, fn in panels._PANELS.get("entities.entity", [])]
    assert fns, "the supervision panel is registered"
    mine = panels.panels_for("entities.entity", principal_of_user("scjg_liaison"), record.entity)
    assert any(title == "监管记录" and record.doc_no in html for title, html in mine)
    other = panels.panels_for("entities.entity", principal_of_user("zjj_liaison"), record.entity)
    assert not any(title == "监管记录" and record.doc_no in html for title, html in other)


def test_entity_page_and_profile_api_show_supervision(sup, client_as):
    from django.urls import reverse

    from regshare.supervision.models import SupervisionRecord

    record = SupervisionRecord.objects.filter(kind="penalty").first()
    client = client_as("scjg_liaison")
    page = client.get(reverse("entities:detail", args=[record.entity.uscc])).content.decode()
    assert "监管记录" in page and record.doc_no in page
    profile = client.get(f"/api/v1/entities/{record.entity.uscc}")
    assert profile.status_code == 200
    assert record.doc_no in [r["doc_no"] for r in profile.json()["supervision"]["records"]]
