"""SCJG-0003 经营异常名录 and SCJG-0004 严重违法失信名单: every new lake version becomes list entries."""

from __future__ import annotations

import csv
import datetime as dt

import pyarrow as pa
import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from regshare.core.models import AuditRecord, Department, Notification
from regshare.credit import lists
from regshare.credit.models import ListCause, ListEntry, ListType
from regshare.entities import services as entities
from regshare.entities.models import Entity, EntityLink, LinkStatus
from regshare.ingest.services import ingest_file
from regshare.lake import tables

ABNORMAL_HEADER = ["列入决定书文号", "统一社会信用代码", "企业名称", "列入原因", "列入日期", "作出决定机关", "移出日期",
                   "移出原因"]
SERIOUS_HEADER = ["列入决定书文号", "统一社会信用代码", "企业名称", "法定代表人", "列入事由", "列入日期", "作出决定机关",
                  "移出日期", "移出原因"]
AUTHORITY = "九江市柴桑区市场监督管理局"


@pytest.fixture
def lake(district, settings, tmp_path):
    """The list resources' tables in a lake of the test's own, so no other test sees them."""
    settings.REGSHARE_LAKE_DIR = tmp_path / "lake"
    return tmp_path


def unlisted(n: int) -> list[Entity]:
    """Entities on no list at all, with a name no other entity has (so name linkage is unambiguous)."""
    unique = (Entity.objects.values("name").annotate(n=Count("id")).filter(n=1).values("name"))
    return list(Entity.objects.filter(list_entries__isnull=True, name__in=unique).order_by("id")[:n])


def load(tmp, code: str, header: list[str], rows: list[list], mode: str = "replace"):
    path = tmp / f"{code}-{len(list(tmp.glob('*.csv')))}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    result = ingest_file("test", path, code, mode=mode)
    assert result.accepted, result.message
    return result


def conversions(code: str) -> list[dict]:
    import json

    return [json.loads(r.detail) for r in AuditRecord.objects.filter(action="credit.list_resource_converted",
                                                                     target=f"resource:{code}").order_by("seq")]


def test_an_abnormal_list_load_becomes_linked_entries(lake):
    a, b = unlisted(2)
    scjg = Department.objects.get(code__endswith="-SCJG")
    swj = Department.objects.get(code__endswith="-SWJ")
    result = load(lake, "SCJG-0003", ABNORMAL_HEADER, [
        ["柴市监异〔2026〕1号", a.uscc, a.name, "未按规定公示年度报告", "2026-07-05", AUTHORITY, "", ""],
        ["柴市监异〔2026〕2号", b.uscc, b.name, "通过登记的住所或者经营场所无法联系", "2026-08-01", "区税务局", "", ""],
    ])
    first = ListEntry.objects.get(decision_no="柴市监异〔2026〕1号")
    second = ListEntry.objects.get(decision_no="柴市监异〔2026〕2号")
    assert (first.list_type, first.entity, first.cause) == (ListType.ABNORMAL, a, ListCause.ANNUAL_REPORT)
    assert first.listed_on == dt.date(2026, 7, 5) and first.removed_on is None and first.active
    assert first.cause_text == "未按规定公示年度报告"
    assert first.department == scjg  # the authority is no known department: the provider
    assert (second.entity, second.cause, second.department) == (b, ListCause.UNREACHABLE, swj)
    run = conversions("SCJG-0003")[-1]
    assert (run["version"], run["rows"], run["created"], run["updated"], run["unlinked"]) == (result.version, 2, 2, 0, 0)


def test_a_serious_list_load_restricts_the_entity_in_the_credit_check(lake, client_as):
    a, b = unlisted(2)
    before = client_as("fgj_liaison").get("/api/v1/credit/check", {"uscc": a.uscc, "scenario": "政府采购"}).json()
    assert not any("失信企业协同监管" in m["memorandum"] for m in before["measures"])
    load(lake, "SCJG-0004", SERIOUS_HEADER, [
        ["柴市监严〔2026〕1号", a.uscc, a.name, a.legal_rep, "提交虚假材料取得市场主体登记,情节严重", "2026-09-01", AUTHORITY,
         "", ""],
        ["柴市监严〔2026〕2号", b.uscc, b.name, b.legal_rep, "被列入经营异常名录届满3年仍未履行相关义务", "2026-09-02",
         AUTHORITY, "", ""],
    ])
    entry = ListEntry.objects.get(decision_no="柴市监严〔2026〕1号")
    assert (entry.list_type, entry.entity, entry.cause) == (ListType.SERIOUS, a, ListCause.SERIOUS_VIOLATION)
    assert entry.cause_text == "提交虚假材料取得市场主体登记,情节严重"
    assert ListEntry.objects.get(decision_no="柴市监严〔2026〕2号").cause == ListCause.ABNORMAL_3Y

    data = client_as("fgj_liaison").get("/api/v1/credit/check", {"uscc": a.uscc, "scenario": "政府采购"}).json()
    assert data["conclusion"] == "限制"
    measure = next(m for m in data["measures"] if "失信企业协同监管" in m["memorandum"])
    assert measure["measure"] == "依法限制参与政府采购活动"
    assert [s["decision_no"] for s in measure["sources"]] == ["柴市监严〔2026〕1号"]
    assert measure["sources"][0]["list"] == "严重违法失信名单" and measure["sources"][0]["cause"] == "严重违法行为"


def test_a_later_version_with_a_removal_date_removes_the_entry_and_nothing_is_ever_deleted(lake, client_as):
    a, b = unlisted(2)
    row_a = ["柴市监异〔2026〕5号", a.uscc, a.name, "未在责令期限内公示有关企业信息", "2026-03-02", AUTHORITY]
    row_b = ["柴市监异〔2026〕6号", b.uscc, b.name, "未按规定公示年度报告", "2026-07-02", AUTHORITY, "", ""]
    load(lake, "SCJG-0003", ABNORMAL_HEADER, [row_a + ["", ""], row_b])
    listed = client_as("fgj_liaison").get("/api/v1/credit/check", {"uscc": a.uscc, "scenario": "招标投标"}).json()
    assert any(s["decision_no"] == "柴市监异〔2026〕5号" for m in listed["measures"] for s in m["sources"])

    load(lake, "SCJG-0003", ABNORMAL_HEADER, [row_a + ["2026-06-15", "已履行公示义务,申请移出"], row_b])
    entry = ListEntry.objects.get(decision_no="柴市监异〔2026〕5号")
    assert entry.removed_on == dt.date(2026, 6, 15) and entry.removal_reason == "已履行公示义务,申请移出"
    assert not entry.active
    run = conversions("SCJG-0003")[-1]
    # Only the changed row is converted again: row B, the same in both versions, is not read.
    assert (run["created"], run["updated"], run["removed"], run["unchanged"], run["mode"]) == (0, 1, 1, 0, "increment")
    data = client_as("fgj_liaison").get("/api/v1/credit/check", {"uscc": a.uscc, "scenario": "招标投标"}).json()
    assert not any(s["decision_no"] == "柴市监异〔2026〕5号" for m in data["measures"] for s in m["sources"])
    assert all(item["decision_no"] != "柴市监异〔2026〕5号" for item in data["lists"])

    # A full replace without either row, then one that lists row A again without a removal date:
    # the entries stay as they were (lists are legal records; a reinstatement would need a new decision).
    load(lake, "SCJG-0003", ABNORMAL_HEADER, [["柴市监异〔2026〕7号", b.uscc, b.name, "未按规定公示年度报告",
                                               "2026-07-03", AUTHORITY, "", ""]])
    load(lake, "SCJG-0003", ABNORMAL_HEADER, [row_a + ["", ""]])
    entry.refresh_from_db()
    assert entry.removed_on == dt.date(2026, 6, 15)
    assert ListEntry.objects.get(decision_no="柴市监异〔2026〕6号").active


def test_rows_without_a_valid_code_are_linked_by_name_or_counted_and_reported(lake):
    named, = unlisted(1)
    tables.write("SCJG-0003", pa.table({
        "decision_no": ["柴市监异〔2026〕11号", "柴市监异〔2026〕12号", "柴市监异〔2026〕13号", "柴市监异〔2026〕14号"],
        "uscc": ["", "91360404MA00000000", None, named.uscc],
        "company_name": [named.name, "柴桑区查无此户商贸有限公司", "柴桑区另一查无此户餐饮店", named.name],
        "reason": ["未按规定公示年度报告", "通过登记的住所或者经营场所无法联系", "未按规定公示年度报告",
                   "未按规定公示年度报告"],
        "decision_date": ["2026-07-08", "2026-05-01", "2026-07-08", "2026年7月9日"],
        "authority": [AUTHORITY] * 4,
        "removed_on": [None, None, None, "2026-07-01"],  # row 14: removed before it was listed
        "removal_reason": [None, None, None, "补报"],
    }), mode="replace", key=["decision_no"])
    by_name = ListEntry.objects.get(decision_no="柴市监异〔2026〕11号")
    assert by_name.entity == named and by_name.cause == ListCause.ANNUAL_REPORT
    assert not ListEntry.objects.filter(decision_no__in=["柴市监异〔2026〕12号", "柴市监异〔2026〕13号",
                                                         "柴市监异〔2026〕14号"]).exists()
    run = conversions("SCJG-0003")[-1]
    assert (run["created"], run["unlinked"], run["invalid"]) == (1, 2, 1)

    provider = Department.objects.get(code__endswith="-SCJG")
    bureau = Department.objects.get(is_data_bureau=True)
    for department in (provider, bureau):
        note = Notification.objects.get(department=department, kind="credit.list_conversion")
        assert "2 条未能关联市场主体" in note.title and "1 条数据有误" in note.title
        assert "柴市监异〔2026〕12号 柴桑区查无此户商贸有限公司 91360404MA00000000" in note.body
        assert "柴市监异〔2026〕14号" in note.body and "移出日期早于列入日期" in note.body


def test_converting_the_same_version_again_changes_nothing(lake):
    a, b = unlisted(2)
    runs = len(conversions("SCJG-0003"))
    # The second row has no code, which the ingest pipeline refuses; the version is written to the lake directly.
    version = tables.write("SCJG-0003", pa.table({
        "decision_no": ["柴市监异〔2026〕21号", "柴市监异〔2026〕22号", "柴市监异〔2026〕23号"],
        "uscc": [a.uscc, "", b.uscc],
        "company_name": [a.name, "柴桑区查无此户五金店", b.name],
        "reason": ["公示企业信息隐瞒真实情况弄虚作假", "未按规定公示年度报告", "企业自行申报的住所无人办公"],
        "decision_date": ["2026-02-01", "2026-07-02", "2026-03-03"],
        "authority": [AUTHORITY] * 3,
        "removed_on": ["2026-04-01", None, None], "removal_reason": ["已更正公示信息", None, None],
    }), mode="replace", key=["decision_no"])
    fields = ["decision_no", "list_type", "entity_id", "cause", "cause_text", "department_id", "listed_on",
              "removed_on", "removal_reason"]
    entries = list(ListEntry.objects.filter(decision_no__startswith="柴市监异〔2026〕2").order_by("id").values(*fields))
    notes = Notification.objects.filter(kind="credit.list_conversion").count()
    assert len(entries) == 2 and notes == 2
    assert ListEntry.objects.get(decision_no="柴市监异〔2026〕23号").cause_text == "企业自行申报的住所无人办公"

    again = lists.convert_version("SCJG-0003", version, full=True)
    assert (again.created, again.updated, again.unchanged, again.unlinked) == (0, 0, 2, 1)
    assert lists.convert_version("SCJG-0003", version).rows == 0  # nothing changed since it was converted
    assert list(ListEntry.objects.filter(decision_no__startswith="柴市监异〔2026〕2").order_by("id")
                .values(*fields)) == entries
    assert Notification.objects.filter(kind="credit.list_conversion").count() == notes  # not reported twice
    assert len(conversions("SCJG-0003")) == runs + 3  # but every run is audited


def test_a_confirmed_candidate_becomes_an_entry(lake, principal_of_user):
    entity, = unlisted(1)
    tables.write("SCJG-0004", pa.table({
        "decision_no": ["柴市监严〔2026〕31号"], "uscc": [""], "company_name": ["柴桑区某某贸易商行"],
        "legal_rep": [None], "reason": ["拒不履行行政处罚决定"], "decision_date": ["2026-10-09"],
        "authority": [AUTHORITY], "removed_on": [None], "removal_reason": [None],
    }), mode="replace", key=["decision_no"])
    assert not ListEntry.objects.filter(decision_no="柴市监严〔2026〕31号").exists()
    # As if the linkage had put the row in the review band with this entity as its candidate.
    link = EntityLink.objects.get(source="SCJG-0004", record_key="柴市监严〔2026〕31号")
    EntityLink.objects.filter(pk=link.pk).update(status=LinkStatus.CANDIDATE, entity=entity, match_probability=0.4)
    entities.decide_candidate(principal_of_user("sjj_reviewer"), link.pk, True, "法定代表人与住所一致")
    entry = ListEntry.objects.get(decision_no="柴市监严〔2026〕31号")
    assert (entry.entity, entry.list_type, entry.cause) == (entity, ListType.SERIOUS, ListCause.SERIOUS_VIOLATION)
    assert conversions("SCJG-0004")[-1]["trigger"] == "link_confirmed"
    # The next full conversion keeps the reviewer's link.
    assert lists.convert_version("SCJG-0004", full=True).unchanged == 1


def test_a_decision_number_of_another_list_is_left_alone_and_reported(lake):
    entity, = unlisted(1)
    dep = Department.objects.get(code__endswith="-FGJ")
    other = ListEntry.objects.create(list_type=ListType.DISHONEST_DEBTOR, entity=entity, cause=ListCause.COURT,
                                     decision_no="(2026)赣0404执1号", department=dep, listed_on=dt.date(2026, 1, 5))
    load(lake, "SCJG-0004", SERIOUS_HEADER, [["(2026)赣0404执1号", entity.uscc, entity.name, "", "严重违法行为",
                                              "2026-02-01", AUTHORITY, "", ""]])
    other.refresh_from_db()
    assert other.list_type == ListType.DISHONEST_DEBTOR and other.listed_on == dt.date(2026, 1, 5)
    assert conversions("SCJG-0004")[-1]["conflicts"] == 1
    note = Notification.objects.get(kind="credit.list_conversion", department__code__endswith="-SCJG")
    assert "文号已用于失信被执行人的记录" in note.body


def test_only_list_resources_convert(lake):
    with pytest.raises(ValidationError) as exc:
        lists.convert_version("SCJG-0002")
    assert exc.value.code == "not_a_list_resource" and "不是名单资源" in exc.value.messages[0]
    assert lists.convert_version("SCJG-0003").skipped == "该资源尚无数据"


@pytest.mark.parametrize("reason, cause, recognised", [
    ("未按规定公示年度报告", ListCause.ANNUAL_REPORT, True),
    ("未按规定期限公示 2025 年度报告", ListCause.ANNUAL_REPORT, True),
    ("通过登记的住所或经营场所无法联系", ListCause.UNREACHABLE, True),
    ("公示企业信息隐瞒真实情况、弄虚作假", ListCause.FALSE_INFO, True),
    ("未在责令期限内公示有关企业信息", ListCause.NO_DISCLOSURE, True),
])
def test_abnormal_reasons_map_to_causes(reason, cause, recognised):
    assert lists.list_cause(ListType.ABNORMAL, reason) == (cause, recognised)


def test_an_unknown_abnormal_reason_still_lists_under_the_closest_ground():
    cause, recognised = lists.list_cause(ListType.ABNORMAL, "未按期公示信息")
    assert cause == ListCause.NO_DISCLOSURE and not recognised


def test_the_demo_publishes_its_abnormal_list_and_the_entries_come_from_it(district):
    # The district's own lake (the ``district`` fixture points the settings at it).
    published = tables.read("SCJG-0003").to_pylist()
    entries = {e.decision_no: e for e in ListEntry.objects.filter(list_type=ListType.ABNORMAL)
               .select_related("entity")}
    assert published and all(row["decision_no"] in entries for row in published)
    for row in published:
        entry = entries[row["decision_no"]]
        assert entry.entity.uscc == row["uscc"] and entry.listed_on == row["decision_date"]
        assert entry.cause_text == row["reason"]
    demo_numbers = {n for n in entries if n.startswith("柴SCJG名")}
    assert demo_numbers == {row["decision_no"] for row in published}  # none made twice, none made beside it
    again = lists.convert_version("SCJG-0003")
    assert (again.created, again.updated, again.unlinked, again.invalid) == (0, 0, 0, 0)
