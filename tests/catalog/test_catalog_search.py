"""Chinese search: ranking, filters, visibility, and staying correct when another process changes the catalog."""

from __future__ import annotations

import logging

import pytest

from regshare.catalog import search, services
from regshare.catalog.models import CatalogStamp, Resource, ShareType, Status

PENALTIES = {"SCJG-0002", "STHJ-0001", "YJJ-0004", "RSJ-0003", "CGJ-0003"}


def codes(principal, query, **filters):
    return [r.code for r in services.search_resources(principal, query, filters)[:50]]


def test_jieba_is_quiet():
    search.tokenize("市场主体登记信息")  # jieba is imported on first use and resets its own logger then
    assert logging.getLogger("jieba").level >= logging.WARNING or not logging.getLogger("jieba").isEnabledFor(
        logging.INFO)


@pytest.mark.parametrize("query, first", [
    ("企业 登记", "SCJG-0001"),
    ("市场主体登记", "SCJG-0001"),
    ("经营异常", "SCJG-0003"),
    ("严重违法失信名单", "SCJG-0004"),
    ("12345 投诉", "CGJ-0001"),
    ("纳税信用", "SWJ-0001"),
    ("不动产", "ZJJ-0001"),
    ("SCJG-0002", "SCJG-0002"),
    ("ｓｃｊｇ－０００３", "SCJG-0003"),  # full-width input
])
def test_query_ranks_the_right_resource_first(principal_of_user, query, first):
    assert codes(principal_of_user("fgj_liaison"), query)[0] == first


def test_administrative_penalty_finds_the_penalty_resources_first(principal_of_user):
    found = codes(principal_of_user("fgj_liaison"), "行政处罚")
    assert set(found[:len(PENALTIES)]) == PENALTIES
    assert found[0] == "SCJG-0002"


def test_field_names_are_searched(principal_of_user):
    # 设备注册代码 is only a field name of 特种设备登记信息.
    assert codes(principal_of_user("fgj_liaison"), "设备注册代码")[0] == "SCJG-0006"


def test_filters_narrow_results(principal_of_user):
    principal = principal_of_user("admin")
    found = codes(principal, "信息", share_type=ShareType.NONE)
    assert found and all(Resource.objects.get(code=c).share_type == ShareType.NONE for c in found)
    scjg = Resource.objects.get(code="SCJG-0001").provider
    found = codes(principal, "处罚", provider=scjg.code)
    assert found == ["SCJG-0002"]


def test_invalid_filter_is_refused(principal_of_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.search_resources(principal_of_user("admin"), "企业", {"grade": "secret"})
    assert exc.value.code == "invalid_filter"


def test_drafts_are_visible_to_their_provider_and_the_bureau_only(principal_of_user):
    query = "知识产权质押"
    assert Resource.objects.get(code="SCJG-0012").status == Status.DRAFT
    assert "SCJG-0012" in codes(principal_of_user("scjg_liaison"), query)
    assert "SCJG-0012" in codes(principal_of_user("sjj_reviewer"), query)
    assert "SCJG-0012" not in codes(principal_of_user("fgj_liaison"), query)


def test_a_change_made_elsewhere_is_seen_at_the_next_search(principal_of_user):
    principal = principal_of_user("fgj_liaison")
    assert codes(principal, "星河湾") == []
    # Another process renames the resource with a bulk update (no signal here) and bumps the stamp.
    Resource.objects.filter(code="GAJ-0004").update(name="星河湾公章刻制备案信息")
    search.bump()
    assert codes(principal, "星河湾") == ["GAJ-0004"]


def test_save_through_the_orm_refreshes_the_index(principal_of_user):
    principal = principal_of_user("fgj_liaison")
    before = CatalogStamp.objects.get(pk=1).value
    resource = Resource.objects.get(code="SJJ-0002")
    resource.summary = "共享平台调用次数,含星火计划专项统计"
    resource.save()
    assert CatalogStamp.objects.get(pk=1).value != before
    assert codes(principal, "星火计划") == ["SJJ-0002"]
