"""One visibility rule (``Model.objects.visible_to``) and one filter declaration per list."""

from __future__ import annotations

import pytest
from django.apps import apps

from regshare.core.visibility import VisibleQuerySet

LIST_MODELS = ["entities.Entity", "catalog.Resource", "catalog.Demand", "catalog.UpdateObligation", "exchange.Application",
               "exchange.Grant", "exchange.Subscription", "exchange.Correction", "incidents.Incident",
               "ingest.Load", "core.ApiToken", "evaluation.Submission", "supervision.InspectionTask",
               "supervision.Complaint", "supervision.SupervisionRecord", "supervision.AssistanceRequest",
               "supervision.Case", "supervision.InspectorConflict", "evaluation.Report",
               "evaluation.AnalysisTopic", "risk.Alert", "risk.RiskScore"]


@pytest.mark.parametrize("label", LIST_MODELS)
def test_every_list_model_declares_its_visibility_rule(label):
    model = apps.get_model(label)
    queryset = model.objects.all()
    assert isinstance(queryset, VisibleQuerySet)
    assert type(queryset).visible_to is not VisibleQuerySet.visible_to


def test_filters_refuse_unknown_choices_and_strip_nul(demo, principal_of_user):
    from regshare.exchange.models import Application

    bureau = principal_of_user("admin")
    visible = Application.objects.visible_to(bureau)
    assert not Application.objects.visible_to(bureau).filtered({"status": "no-such\x00"}).exists()
    assert Application.objects.filter_values({"q": " 申请\x00 ", "status": ""}) == {"q": "申请", "status": ""}
    assert list(visible.filtered({})) == list(visible)


def test_a_flag_filter_takes_page_and_api_spellings():
    from regshare.core.filters import Flag

    flag = Flag("open", "fulfilled_at__isnull")
    assert [flag.clean(v) for v in ("1", "true", True, "on", "", None, "0", False)] == ["1"] * 4 + [""] * 4
