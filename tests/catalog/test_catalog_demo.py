"""The demo catalog: stable codes other parts load into, every share/open type, idempotent."""

from __future__ import annotations

import pytest

from regshare.catalog.models import (
    FieldTag,
    OpenType,
    Resource,
    ResourceField,
    ResourceVersion,
    ShareType,
    Status,
    StatusChange,
)
from regshare.catalog.services import schema_of


@pytest.mark.parametrize("code, name, date_field", [
    ("XZSP-0001", "行政许可信息", "decision_date"),
    ("SCJG-0002", "行政处罚信息", "decision_date"),
    ("SCJG-0003", "经营异常名录", "decision_date"),
    ("SCJG-0004", "严重违法失信名单", "decision_date"),
    ("CGJ-0001", "12345投诉举报工单", "received_on"),
])
def test_stable_resources_have_uscc_company_and_dates(demo, code, name, date_field):
    resource = Resource.objects.get(code=code)
    assert resource.name == name and resource.status == Status.PUBLISHED
    fields = {f.code_name: f for f in schema_of(resource)}
    assert fields["uscc"].tag == FieldTag.USCC
    assert fields["company_name"].tag == FieldTag.COMPANY_NAME
    assert fields[date_field].data_type == "date"


def test_catalog_size_and_variety(demo):
    resources = Resource.objects.all()
    assert 55 <= resources.count() <= 65
    assert {(r.share_type, r.open_type) for r in resources} >= {
        (ShareType.UNCONDITIONAL, OpenType.OPEN), (ShareType.UNCONDITIONAL, OpenType.CLOSED),
        (ShareType.CONDITIONAL, OpenType.CLOSED), (ShareType.NONE, OpenType.CLOSED)}
    assert all(r.legal_basis for r in resources.filter(share_type=ShareType.NONE))
    assert resources.filter(status=Status.PUBLISHED).count() >= 0.9 * resources.count()
    assert resources.values("provider").distinct().count() == 12


def test_demo_is_idempotent(demo):
    from regshare.demo import build

    def counts():
        return (Resource.objects.count(), ResourceField.objects.count(), ResourceVersion.objects.count(),
                StatusChange.objects.count())

    before = counts()
    build(seed=1, entities=0, steps=("regshare.demo.org", "regshare.demo.catalog"))
    assert counts() == before
