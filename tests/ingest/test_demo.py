"""The demo step: quality history for file resources and a monthly duty with late, zero and missing reports."""

from __future__ import annotations

import pytest
from django.utils import timezone

from regshare.demo import DemoContext
from regshare.demo import ingest as demo_ingest
from regshare.ingest import services
from regshare.ingest.models import Load, LoadStatus, QualityReport
from regshare.lake import tables


@pytest.mark.date_sensitive
def test_demo_step_is_deterministic_and_idempotent(demo):
    for code, _user, _plan in demo_ingest.LOADS:
        tables.drop(code)
    ctx = DemoContext(seed=1, entities=0, echo=lambda _m: None)
    demo_ingest.run(ctx)
    loads = Load.objects.filter(resource__code="SCJG-0009").order_by("created_at")
    assert [load.status for load in loads] == ["loaded", "loaded", "rejected", "loaded"]
    assert QualityReport.objects.filter(resource__code="SCJG-0009").count() == 4
    assert tables.current_version("SCJG-0009") == 2
    demo_ingest.run(ctx)
    assert Load.objects.filter(resource__code="SCJG-0009").count() == 4
    story = demo_ingest.story_period(timezone.localdate())
    status = {r.resource.code: r.status for r in services.duty_status(story)}
    assert status["SCJG-0009"] == "ontime" and status["SCJG-0010"] == "zero"
    assert status["SWJ-0002"] == "late_submitted"
    assert status["XZSP-0005"] == "overdue"
    assert Load.objects.filter(status=LoadStatus.FAILED).count() == 0


@pytest.mark.parametrize(("today", "story"), [
    ("2027-03-01", "2027-01-01"), ("2027-03-07", "2027-01-01"), ("2027-03-08", "2027-02-01"),
    ("2026-12-31", "2026-11-01"), ("2027-01-03", "2026-11-01"),
])
def test_story_month_is_one_whose_late_report_lies_in_the_past(today, story):
    import datetime as dt

    assert demo_ingest.story_period(dt.date.fromisoformat(today)) == dt.date.fromisoformat(story)
