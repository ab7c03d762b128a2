"""Catalog rules: each broken rule gives a Chinese message with a stable code and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from regshare.catalog import services
from regshare.catalog.models import (
    Demand,
    DemandStatus,
    OpenType,
    Resource,
    ResourceVersion,
    ShareType,
    Status,
    UpdateObligation,
)
from regshare.core.models import AuditRecord, Department, Notification
from regshare.core.workdays import add_workdays
from regshare.core.workflow import pending_for as pending_items

pytestmark = pytest.mark.date_sensitive  # deadlines and report months count from today (make test-dates)

FIELDS = [
    {"name": "统一社会信用代码", "code_name": "uscc", "required": True, "is_key": True, "tag": "uscc"},
    {"name": "企业名称", "code_name": "company_name", "tag": "company_name"},
]


def dept(suffix: str) -> Department:
    return Department.objects.get(code=f"360404-{suffix}")


def snapshot() -> tuple:
    return (Resource.objects.count(), AuditRecord.objects.count(), Notification.objects.count(),
            ResourceVersion.objects.count())


@pytest.fixture
def liaison(principal_of_user):
    return principal_of_user("scjg_liaison")


@pytest.fixture
def bureau(principal_of_user):
    return principal_of_user("sjj_reviewer")


@pytest.fixture
def consumer_source():
    """A stand-in for the exchange app's source: FGJ holds a grant on every resource."""
    source = services.register_consumer_source(lambda resource: [dept("FGJ")])
    yield source
    services.consumers._CONSUMER_SOURCES.remove(source)


def make(liaison, **extra):
    data = {"name": "食品生产许可信息", "summary": "食品生产许可证核发", **extra}
    return services.create_resource(liaison, data, FIELDS)


@pytest.mark.parametrize("share_type, open_type, legal_basis, code, message", [
    (ShareType.CONDITIONAL, OpenType.OPEN, "", "open_not_allowed", "有条件共享的数据资源不可向社会开放"),
    (ShareType.NONE, OpenType.OPEN, "保密法", "open_not_allowed", "不予共享的数据资源不可向社会开放"),
    (ShareType.NONE, OpenType.CLOSED, "  ", "legal_basis_required", "不予共享的数据资源须写明"),
])
def test_sharing_rules_refuse_and_change_nothing(liaison, share_type, open_type, legal_basis, code, message):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        make(liaison, share_type=share_type, open_type=open_type, legal_basis=legal_basis)
    assert exc.value.code == code
    assert message in exc.value.messages[0]
    assert snapshot() == before


def test_rule_is_enforced_on_update_too(liaison):
    resource = Resource.objects.get(code="SCJG-0003")
    assert resource.open_type == OpenType.OPEN
    with pytest.raises(ValidationError) as exc:
        services.update_resource(liaison, resource, {"share_type": ShareType.CONDITIONAL})
    assert exc.value.code == "open_not_allowed"
    resource.refresh_from_db()
    assert resource.share_type == ShareType.UNCONDITIONAL


def test_create_numbers_the_code_per_department_and_audits(liaison):
    resource = make(liaison, catalog_class="3", catalog_item="02", catalog_subitem="02")
    assert resource.code == "SCJG-0014"  # the demo holds SCJG-0001 … SCJG-0013
    assert resource.identifier == "30202/SCJG-0014"
    assert resource.status == Status.DRAFT
    assert [f.code_name for f in services.schema_of(resource)] == ["uscc", "company_name"]
    assert AuditRecord.objects.filter(action="catalog.resource.create", target=f"catalog.resource:{resource.pk}").exists()


def test_only_the_provider_may_edit(principal_of_user):
    resource = Resource.objects.get(code="SCJG-0001")
    before = snapshot()
    with pytest.raises(PermissionDenied) as exc:
        services.update_resource(principal_of_user("fgj_liaison"), resource, {"summary": "篡改"})
    assert "区市场监管局" in str(exc.value)
    assert snapshot() == before


@pytest.mark.parametrize("fields, text", [
    ([{"name": "", "code_name": "a"}], "缺少中文名称"),
    ([{"name": "名称", "code_name": "Bad Code"}], "字段代码"),
    ([{"name": "甲", "code_name": "a"}, {"name": "甲", "code_name": "b"}], "重名"),
    ([{"name": "状态", "code_name": "status", "data_type": "enum"}], "枚举值"),
])
def test_bad_schema_is_refused(liaison, fields, text):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.create_resource(liaison, {"name": "测试资源"}, fields)
    assert exc.value.code == "invalid_schema" and text in exc.value.messages[0]
    assert snapshot() == before


def test_submit_and_publish_by_the_data_bureau_only(liaison, bureau, principal_of_user):
    resource = make(liaison)
    services.submit_resource(liaison, resource)
    assert Notification.objects.filter(department=dept("SJJ"), kind="catalog.review").exists()
    assert any(resource.code in item.title for item in pending_items(bureau))
    with pytest.raises(PermissionDenied) as exc:
        services.publish_resource(principal_of_user("scjg_reviewer"), resource)
    assert "数据管理部门" in str(exc.value)
    services.publish_resource(bureau, resource, "符合目录编制要求")
    resource.refresh_from_db()
    assert resource.status == Status.PUBLISHED and resource.published_at is not None
    assert list(resource.versions.values_list("version", flat=True)) == [1]
    assert [h.action for h in resource.status_changes.order_by("id")] == ["创建", "提交审核", "发布"]


def test_reject_needs_a_reason(liaison, bureau):
    resource = make(liaison)
    services.submit_resource(liaison, resource)
    with pytest.raises(ValidationError) as exc:
        services.reject_resource(bureau, resource, " ")
    assert exc.value.code == "reason_required"
    services.reject_resource(bureau, resource, "摘要过于简单")
    resource.refresh_from_db()
    assert resource.submitted_at is None
    assert Notification.objects.filter(department=dept("SCJG"), kind="catalog.rejected", body="摘要过于简单").exists()


def test_schema_change_of_a_published_resource_creates_a_version(liaison, consumer_source):
    resource = Resource.objects.get(code="SCJG-0002")
    old = services.schema_snapshot(resource)
    assert resource.version == 1
    services.update_resource(liaison, resource, {"summary": "仅改摘要"})
    resource.refresh_from_db()
    assert resource.version == 1  # metadata only: same version
    new_fields = old + [{"name": "执法人员", "code_name": "officer"}]
    services.update_resource(liaison, resource, {}, new_fields, note="增加执法人员")
    resource.refresh_from_db()
    assert resource.version == 2
    versions = {v.version: v for v in resource.versions.all()}
    assert [f["code_name"] for f in versions[1].schema] == [f["code_name"] for f in old]
    assert versions[2].schema[-1]["name"] == "执法人员" and versions[2].note == "增加执法人员"
    assert Notification.objects.filter(department=dept("FGJ"), kind="catalog.change").exists()


def test_draft_schema_change_keeps_version(liaison):
    resource = make(liaison)
    services.update_resource(liaison, resource, {}, FIELDS[:1])
    resource.refresh_from_db()
    assert resource.version == 1 and resource.versions.count() == 0 and resource.fields.count() == 1


def test_retire_without_successor_goes_offline_and_notifies_consumers(liaison, consumer_source):
    resource = Resource.objects.get(code="SCJG-0011")
    services.retire_resource(liaison, resource, "业务停止")
    resource.refresh_from_db()
    assert resource.status == Status.OFFLINE
    assert Notification.objects.filter(department=dept("FGJ"), kind="catalog.offline").exists()


def test_retire_with_successor_keeps_it_online_for_the_transition(liaison, bureau, consumer_source):
    old = Resource.objects.get(code="SCJG-0009")
    old.dedicated_departments.add(dept("YJJ"))
    assert {d.code for d in services.consumers_of(old)} == {"360404-FGJ", "360404-YJJ"}
    new = make(liaison, name="食品安全抽检信息(新版)")
    services.retire_resource(liaison, old, "系统升级", successor=new)
    old.refresh_from_db()
    assert old.status == Status.PUBLISHED and old.retire_on is None
    for consumer in ("FGJ", "YJJ"):
        assert Notification.objects.filter(department=dept(consumer), kind="catalog.retire").exists()
    assert services.complete_retirements(timezone.localdate() + dt.timedelta(days=400)) == []  # successor unpublished

    services.publish_resource(bureau, new)
    old.refresh_from_db()
    published_on = timezone.localdate(new.published_at)
    assert old.retire_on == published_on + dt.timedelta(days=20)
    assert services.complete_retirements(published_on + dt.timedelta(days=19)) == []
    old.refresh_from_db()
    assert old.status == Status.PUBLISHED
    assert [r.code for r in services.complete_retirements(published_on + dt.timedelta(days=20))] == [old.code]
    old.refresh_from_db()
    assert old.status == Status.OFFLINE
    assert Notification.objects.filter(department=dept("YJJ"), kind="catalog.offline").exists()
    assert AuditRecord.objects.filter(action="catalog.resource.offline", actor="system").exists()


def test_retire_twice_is_refused(liaison):
    resource = Resource.objects.get(code="SCJG-0010")
    services.retire_resource(liaison, resource, "停用", successor=Resource.objects.get(code="SCJG-0008"))
    with pytest.raises(ValidationError) as exc:
        services.retire_resource(liaison, resource, "再次")
    assert exc.value.code == "already_retiring"


def test_update_duty_has_15_working_days_and_is_flagged_once_when_overdue(liaison, bureau):
    changed = timezone.localdate() - dt.timedelta(days=40)
    obligation = services.record_change_of_duty(liaison, dept("SCJG"), "law", "《食品安全法》修订", changed)
    assert obligation.due_date == add_workdays(changed, 15)
    assert Notification.objects.filter(department=dept("SCJG"), kind="catalog.obligation").exists()
    flagged = services.flag_overdue_obligations()
    assert flagged == [obligation]
    assert Notification.objects.filter(department=dept("SJJ"), kind="catalog.obligation.overdue").count() == 1
    assert services.flag_overdue_obligations() == []
    assert any(item.overdue and item.category == "目录更新" for item in pending_items(bureau))
    assert any(item.overdue for item in pending_items(liaison))
    with pytest.raises(ValidationError) as exc:
        services.fulfil_obligation(liaison, obligation, "")
    assert exc.value.code == "note_required"
    services.fulfil_obligation(liaison, obligation, "已调整 SCJG-0005 数据项")
    obligation.refresh_from_db()
    assert obligation.fulfilled_at is not None


def test_updating_the_catalog_fulfils_the_duty(liaison):
    obligation = services.record_change_of_duty(liaison, dept("SCJG"), "duty", "新增知识产权职能",
                                                 timezone.localdate())
    services.update_resource(liaison, Resource.objects.get(code="SCJG-0012"), {"summary": "专利、商标质押登记"})
    obligation.refresh_from_db()
    assert obligation.fulfilled_at is not None and "SCJG-0012" in obligation.fulfilled_note


def test_duty_of_another_department_needs_the_bureau(liaison, principal_of_user):
    with pytest.raises(PermissionDenied):
        services.record_change_of_duty(liaison, dept("FGJ"), "duty", "x", timezone.localdate())
    assert UpdateObligation.objects.count() == 0
    bureau_liaison = principal_of_user("sjj_liaison")
    assert services.record_change_of_duty(bureau_liaison, dept("FGJ"), "duty", "职能划转", timezone.localdate())


def test_demand_suggestions_match_and_unmet_list(principal_of_user, bureau):
    fgj = principal_of_user("fgj_liaison")
    demand = services.create_demand(fgj, {"title": "企业行政处罚决定", "fields_wanted": "统一社会信用代码、处罚决定日期",
                                          "purpose": "信用评价", "provider": dept("SCJG")})
    suggested = [r.code for r in services.suggest_resources(demand)]
    assert suggested[0] == "SCJG-0002"
    unmet = services.create_demand(fgj, {"title": "外星人入境登记"})
    assert services.suggest_resources(unmet) == []
    unmet_titles = [item.title for item in pending_items(bureau) if item.category == "需求清单"]
    assert any(unmet.title in title for title in unmet_titles) and any(demand.title in t for t in unmet_titles)
    assert not [item for item in pending_items(fgj) if item.category == "需求清单"]
    services.match_demand(fgj, demand, Resource.objects.get(code="SCJG-0002"))
    demand.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED and demand.matched_resource.code == "SCJG-0002"
    assert AuditRecord.objects.filter(action="catalog.demand.match", target=f"catalog.demand:{demand.pk}").exists()
    assert not any(demand.title in item.title for item in pending_items(bureau) if item.category == "需求清单")
    assert unmet in Demand.objects.visible_to(bureau).filter(status=DemandStatus.OPEN)
    assert demand not in Demand.objects.visible_to(bureau).filter(status=DemandStatus.OPEN)
    with pytest.raises(PermissionDenied):
        services.close_demand(principal_of_user("swj_liaison"), unmet, "无")
    with pytest.raises(ValidationError):
        services.create_demand(fgj, {"title": " "})
    assert not Demand.objects.filter(title="").exists()


def test_periodic_tasks_run_the_daily_duties(liaison):
    from regshare.catalog import tasks

    changed = timezone.localdate() - dt.timedelta(days=60)
    services.record_change_of_duty(liaison, dept("SCJG"), "law", "法规修订", changed)
    result = tasks.flag_overdue_obligations.call_local()
    assert result == 1
    assert tasks.complete_retirements.call_local() == 0
