from __future__ import annotations

import itertools

import pytest

from regshare.lake import tables

_seq = itertools.count(1)


@pytest.fixture
def make_resource(demo):
    """A published file-provided resource of SCJG with the SCJG-0001 schema under a fresh code."""
    from regshare.catalog.models import Provision, Resource, ResourceField, Status
    from regshare.core.models import Department
    from regshare.demo.catalog import SCJG_0001_FIELDS

    made = []

    def make(*, code: str | None = None, max_invalid_fraction: float = 0.05, provision=Provision.FILE,
             frequency: str = "monthly") -> Resource:
        code = code or f"TEST-{next(_seq):04d}"
        tables.drop(code)
        resource = Resource.objects.create(
            code=code, name=f"测试资源{code}", provider=Department.objects.get(code__endswith="SCJG"),
            provision=provision, status=Status.PUBLISHED, max_invalid_fraction=max_invalid_fraction,
            update_frequency=frequency)
        for pos, (name, code_name, data_type, required, key, tag, enumeration) in enumerate(SCJG_0001_FIELDS, 1):
            ResourceField.objects.create(resource=resource, position=pos, name=name, code_name=code_name,
                                         data_type=data_type, required=required, is_key=key, tag=tag,
                                         enumeration=enumeration)
        made.append(code)
        return resource

    yield make
    for code in made:
        tables.drop(code)


