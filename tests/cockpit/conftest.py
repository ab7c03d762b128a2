"""A department of its own per test, so the department's figures count only what the test creates."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BEIJING)


@pytest.fixture
def department(demo):
    from regshare.core.models import Department

    return Department.objects.create(code="360404-TEST", name="区测试局", division_code="360404")


@pytest.fixture
def make_resource(department):
    from regshare.catalog.models import Provision, Resource, ShareType, Status

    def make(*, provider=None, provision=Provision.FILE, share_type=ShareType.UNCONDITIONAL,
             status=Status.PUBLISHED, **extra) -> Resource:
        n = next(_numbers)
        return Resource.objects.create(code=f"TEST-{n:04d}", name=f"测试资源{n}", provider=provider or department,
                                       provision=provision, share_type=share_type, status=status, **extra)

    return make


@pytest.fixture
def make_application(user_named, make_resource, department):
    """An application of another department for one of the test department's resources, with its steps
    given as (stage, opened_on, decided_on or None, deadline)."""
    from regshare.core.models import Department
    from regshare.exchange.models import Application, ApplicationStatus, Decision, ReviewStep

    requester = Department.objects.get(code="360404-XZSP")
    bureau = Department.objects.get(code="360404-SJJ")

    def make(status=ApplicationStatus.PLATFORM_REVIEW, steps=(), resource=None, platform_by=None) -> Application:
        n = next(_numbers)
        resource = resource or make_resource()
        first = steps[0][1] if steps else dt.date(2026, 6, 1)
        application = Application.objects.create(
            number=f"T{n:06d}", requester=requester, applicant=user_named("xzsp_liaison"), resource=resource,
            purpose="测试", scenario="测试", legal_basis="测试", period_start=first,
            period_end=first + dt.timedelta(days=30), approval_file="approvals/test.pdf", status=status,
            submitted_on=first)
        for stage, opened_on, decided_on, deadline in steps:
            ReviewStep.objects.create(
                application=application, stage=stage, opened_on=opened_on, deadline=deadline,
                department=(platform_by or bureau) if stage == "platform" else resource.provider,
                decision=Decision.APPROVE if decided_on else Decision.PENDING,
                decided_at=at(decided_on) if decided_on else None)
        return application

    return make
