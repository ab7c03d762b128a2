"""Spreadsheets as civil servants make them, and DCAT."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from regshare.catalog import services, transfer
from regshare.catalog.models import Demand, FieldTag, Resource, ShareType, Status
from regshare.core.models import AuditRecord

HEADER = ["序号", "资源名称", "资源摘要", "提供部门", "信息项", "更新周期", "共享类型", "开放属性", "提供方式", "不予共享依据"]


def workbook(rows, title="柴桑区市场监管局政务数据共享清单", header=HEADER, merge_provider=False, trailing_blanks=3):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    if merge_provider:
        col = header.index("提供部门") + 1
        ws.merge_cells(start_row=3, start_column=col, end_row=2 + len(rows), end_column=col)
    for _ in range(trailing_blanks):
        ws.append([None] * len(header))
    ws.cell(row=ws.max_row + 2, column=1, value="  ")  # a stray blank cell far below
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


GOOD = [
    [1, "食品生产许可信息", "食品生产许可证核发（含变更）", "区市场监管局",
     "统一社会信用代码（uscc）、企业名称（company_name）、许可证编号、法定代表人", "每日", "无条件共享", "可开放", "库表", ""],
    [2, "网络交易监测信息", "网络交易平台经营者监测", None,
     "统一社会信用代码、网店名称、负责人电话", "月", "有条件共享", "不可开放", "文件", ""],
]


@pytest.fixture
def liaison(principal_of_user):
    return principal_of_user("scjg_liaison")


def test_import_tolerates_title_merged_cells_full_width_and_blank_rows(liaison):
    report = transfer.import_share_list(liaison, workbook(GOOD, merge_provider=True))
    assert report.ok, report.errors
    assert report.rows == 2 and len(report.created) == 2
    first = Resource.objects.get(code=report.created[0])
    assert first.name == "食品生产许可信息" and first.summary == "食品生产许可证核发(含变更)"
    assert first.update_frequency == "daily" and first.share_type == ShareType.UNCONDITIONAL
    assert first.status == Status.DRAFT and first.provider.name == "区市场监管局"
    fields = services.schema_of(first)
    assert [(f.name, f.code_name, f.tag) for f in fields[:2]] == [
        ("统一社会信用代码", "uscc", FieldTag.USCC), ("企业名称", "company_name", FieldTag.COMPANY_NAME)]
    assert fields[3].tag == FieldTag.PERSON_NAME
    second = Resource.objects.get(code=report.created[1])
    assert second.provider.name == "区市场监管局"  # from the merged cell
    assert services.schema_of(second)[2].tag == FieldTag.MOBILE
    assert AuditRecord.objects.filter(action="catalog.import.share_list").exists()


def test_a_bad_row_rejects_the_whole_file_with_a_row_report(liaison):
    rows = GOOD + [
        [3, "投诉举报信息", "", "区市场监管局", "工单编号", "每日", "有条件共享", "可开放", "接口", ""],
        [4, "", "没有名称", "区市场监管局", "工单编号", "每日", "无条件共享", "不可开放", "接口", ""],
        [5, "涉密信息", "", "区市场监管局", "编号", "半年一次", "不予共享", "不可开放", "文件", ""],
    ]
    before = (Resource.objects.count(), AuditRecord.objects.count())
    report = transfer.import_share_list(liaison, workbook(rows))
    assert not report.ok and report.created == []
    by_row = dict(report.errors)
    assert set(by_row) == {5, 6, 7}  # Excel row numbers: title, header, then data from row 3
    assert "不可向社会开放" in by_row[5]
    assert "资源名称不能为空" in by_row[6]
    assert "半年一次" in by_row[7]
    assert (Resource.objects.count(), AuditRecord.objects.count()) == before


def test_another_departments_rows_are_refused(liaison):
    rows = [[1, "纳税信息", "", "区税务局", "纳税人识别号", "月", "无条件共享", "不可开放", "文件", ""]]
    report = transfer.import_share_list(liaison, workbook(rows))
    assert not report.ok and "区税务局" in report.errors[0][1]


def test_existing_code_updates_that_resource(liaison):
    header = ["资源代码", "资源名称", "资源摘要", "信息项"]
    resource = Resource.objects.get(code="SCJG-0012")
    rows = [["SCJG-0012", "知识产权质押登记信息", "专利权、商标权、著作权质押", "登记号、出质人名称、质权人"]]
    report = transfer.import_share_list(liaison, workbook(rows, header=header))
    assert report.ok and report.updated == ["SCJG-0012"]
    resource.refresh_from_db()
    assert resource.summary == "专利权、商标权、著作权质押"
    assert [f.code_name for f in services.schema_of(resource)] == ["reg_no", "company_name", "pledgee"]


@pytest.mark.parametrize("content, code", [
    (b"not a spreadsheet", "unreadable_file"),
    (None, "no_header"),
])
def test_unusable_files_are_refused(liaison, content, code):
    if content is None:
        content = workbook([["a", "b"]], header=["甲", "乙"])
    with pytest.raises(ValidationError) as exc:
        transfer.import_share_list(liaison, content)
    assert exc.value.code == code


def test_export_round_trips_through_the_reader(principal_of_user):
    admin = principal_of_user("admin")
    content = transfer.export_share_list(admin, services.search_resources(admin))
    rows = dict((values["code"], values) for _n, values in transfer.read_table(content, transfer.SHARE_COLUMNS))
    assert rows["SCJG-0001"]["name"] == "市场主体登记信息"
    assert rows["SCJG-0001"]["share_type"] == "有条件共享"
    assert rows["SCJG-0001"]["fields"].startswith("统一社会信用代码(uscc)、企业名称(name)")
    assert rows["SWJ-0005"]["legal_basis"]


def test_demand_list_import_and_export(principal_of_user):
    fgj = principal_of_user("fgj_liaison")
    header = ["序号", "所需数据", "拟提供部门", "用途", "应用场景", "所需信息项", "更新频率"]
    rows = [[1, "纳税信用评价结果", "区税务局", "信用评价", "评优评先", "统一社会信用代码、纳税信用等级", "每年"],
            [2, "企业社保参保人数", "区人社局", "经营状况核验", "项目申报", "参保人数", "月"]]
    report = transfer.import_demand_list(fgj, workbook(rows, title="政务数据需求清单", header=header))
    assert report.ok and len(report.created) == 2
    demand = Demand.objects.get(title="纳税信用评价结果")
    assert demand.requester.name == "区发改局" and demand.provider.name == "区税务局" and demand.frequency == "yearly"
    content = transfer.export_demand_list(fgj, Demand.objects.visible_to(fgj))
    titles = [v["title"] for _n, v in transfer.read_table(content, transfer.DEMAND_COLUMNS)]
    assert {"纳税信用评价结果", "企业社保参保人数", "企业纳税信用等级"} == set(titles)


def test_dcat_lists_published_resources_only(demo):
    document = transfer.dcat_catalog("http://platform.example/")
    assert document["@type"] == "dcat:Catalog"
    datasets = {d["dct:identifier"]: d for d in document["dcat:dataset"]}
    assert "SCJG-0012" not in datasets  # a draft
    entry = datasets["SCJG-0001"]
    assert entry["dct:title"]["@value"] == "市场主体登记信息"
    assert entry["dct:publisher"]["foaf:name"] == "区市场监管局"
    assert entry["dct:accrualPeriodicity"]["@id"].endswith("/DAILY")
    assert entry["dct:accessRights"]["@id"].endswith("/RESTRICTED")
    assert "统一社会信用代码" in entry["dcat:keyword"]


def test_review_form_lists_published_resources_with_counts(principal_of_user):
    from regshare.core.models import Department

    scjg = Department.objects.get(code="360404-SCJG")
    counter = transfer.register_period_counter(lambda r, first, last: 0 if r.code == "SCJG-0002" else None)
    try:
        content = transfer.export_review_form(principal_of_user("scjg_liaison"), scjg, 2026, 2)
    finally:
        transfer._PERIOD_COUNTERS.remove(counter)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert "政务数据共享信息审核表(2026年2月)" in sheet["A1"].value
    rows = {r[1]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert "SCJG-0012" not in rows  # draft
    assert rows["SCJG-0002"][6] == 0 and rows["SCJG-0002"][7] == "是"
    assert rows["SCJG-0001"][6] is None and rows["SCJG-0001"][5] == "2026年2月"
    with pytest.raises(ValidationError):
        transfer.export_review_form(principal_of_user("scjg_liaison"), scjg, 2026, 13)
