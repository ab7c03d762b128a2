"""Every registered transition, one body: anonymous, a role without the permission and another department are
refused and change nothing; the permitted user performs it and the audit chain records it.

A new workflow adds a factory to ``FACTORIES`` (an object in the transition's source state); the users are
found in the demo organisation from the declaration itself (permission, ``may_act``, ``delegate``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from django.core.exceptions import PermissionDenied

from regshare.core import workflow
from regshare.core.models import AuditRecord, Department, User
from regshare.core.permissions import Principal, has_perm

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def _dept(suffix: str) -> Department:
    return Department.objects.get(code__endswith=f"-{suffix}")


# ----------------------------------------------------------------------------- objects in a source state

def _application(transition: workflow.Transition):
    from regshare.catalog.models import Resource, ShareType
    from regshare.exchange.models import Application, Decision, ReviewStep, Stage

    state = transition.source[0]
    resource = Resource.objects.get(code="SCJG-0001")
    resource.share_type = ShareType.UNCONDITIONAL if transition.name == "platform_approve" else ShareType.CONDITIONAL
    resource.save(update_fields=["share_type"])
    today = dt.date.today()
    application = Application.objects.create(
        number=f"SQT{next(_numbers):06d}", requester=_dept("XZSP"), applicant=User.objects.get(username="xzsp_liaison"),
        resource=resource, fields=["uscc", "name"], purpose="核验", scenario="窗口", legal_basis="条例",
        period_start=today, period_end=today + dt.timedelta(days=90), approval_file="exchange/approvals/x.pdf",
        status=state, submitted_on=today)
    stages = {"platform_review": [Stage.PLATFORM], "provider_review": [Stage.PLATFORM, Stage.PROVIDER],
              "rejected": [Stage.PLATFORM, Stage.PROVIDER], "negotiation": [Stage.PLATFORM, Stage.PROVIDER,
                                                                            Stage.NEGOTIATION],
              "coordination": [Stage.PLATFORM, Stage.PROVIDER, Stage.NEGOTIATION, Stage.COORDINATION]}[state]
    for i, stage in enumerate(stages):
        last = i == len(stages) - 1
        decision = (Decision.REJECT if state == "rejected" else Decision.PENDING) if last else Decision.APPROVE
        department = resource.provider if stage in (Stage.PROVIDER, Stage.NEGOTIATION) else _dept("SJJ")
        ReviewStep.objects.create(application=application, stage=stage, department=department, opened_on=today,
                                  deadline=today + dt.timedelta(days=7), decision=decision)
    return application


def _correction(transition: workflow.Transition):
    from regshare.catalog.models import Resource
    from regshare.exchange.models import Correction
    from regshare.lake import tables as lake

    lake.write("SCJG-0001", pa.table({"uscc": ["91360404MA35000001"], "name": ["测试企业"]}), mode="replace")
    return Correction.objects.create(
        resource=Resource.objects.get(code="SCJG-0001"), reporter=_dept("XZSP"),
        reported_by=User.objects.get(username="xzsp_liaison"), key={"uscc": "91360404MA35000001"}, field="name",
        reported_value="测试企业", proposed_value="测试企业有限公司", explanation="名称有误",
        opened_on=dt.date.today(), deadline=dt.date.today() + dt.timedelta(days=7))


def _record(state: str):
    from regshare.credit.models import CreditRecord

    today = dt.date.today()
    return CreditRecord.objects.create(
        kind="penalty", doc_no=f"柴市监罚〔2026〕W{next(_numbers)}号", raw_name="测试企业", department=_dept("SCJG"),
        title="虚假宣传", decided_on=today, severity="general", publicity=state, publish_due=today)


def _credit_record(transition: workflow.Transition):
    return _record(transition.source[0])


def _repair(transition: workflow.Transition):
    from regshare.credit.models import RepairApplication

    today = dt.date.today()
    return RepairApplication.objects.create(record=_record("published"), applicant="张三", reason="已整改",
                                            commitment=True, submitted_on=today, due_on=today)


def _resource(transition: workflow.Transition):
    from django.utils import timezone

    from regshare.catalog import services

    liaison = Principal.for_user(User.objects.get(username="scjg_liaison"))
    resource = services.create_resource(liaison, {"name": f"测试资源{next(_numbers)}", "summary": "测试"},
                                        [{"name": "统一社会信用代码", "code_name": "uscc", "is_key": True}])
    if transition.name != "submit":
        resource.submitted_at = timezone.now()
        resource.save(update_fields=["submitted_at"])
    return resource


def _published_resource(transition: workflow.Transition):
    """A published resource with a consumer to tell; for the scheduler's step, already retiring for a successor."""
    from django.utils import timezone

    from regshare.catalog.models import Resource, Status

    resource = _resource(transition)
    Resource.objects.filter(pk=resource.pk).update(status=Status.PUBLISHED, published_at=timezone.now(),
                                                   submitted_at=None)
    if transition.automatic:
        Resource.objects.filter(pk=resource.pk).update(
            retire_requested_at=timezone.now(), retire_reason="系统升级",
            successor=Resource.objects.get(code="SCJG-0008"), retire_on=dt.date.today())
    resource.refresh_from_db()
    return resource


def _grant(transition: workflow.Transition):
    from regshare.catalog.models import Resource
    from regshare.exchange.models import Grant

    today = dt.date.today()
    ends = today - dt.timedelta(days=1) if transition.automatic else today + dt.timedelta(days=90)
    return Grant.objects.create(resource=Resource.objects.get(code="SCJG-0001"), consumer=_dept("XZSP"),
                                fields=["uscc", "name"], purpose="核验", starts_on=today - dt.timedelta(days=30),
                                expires_on=ends)


def _demand(transition: workflow.Transition):
    from regshare.catalog.models import Demand

    return Demand.objects.create(title=f"企业行政处罚决定{next(_numbers)}", requester=_dept("FGJ"),
                                 status=transition.source[0])


def _link(transition: workflow.Transition):
    from regshare.entities.models import EntityLink

    return EntityLink.objects.create(source="test", record_key=f"T{next(_numbers)}", raw_name="测试企业",
                                     method="probabilistic", status=transition.source[0], match_probability=0.6)


def _alert(transition: workflow.Transition):
    from regshare.entities.models import Entity
    from regshare.risk.models import Alert

    n = next(_numbers)
    entity = Entity.objects.create(uscc=f"91360404MA3T{n:05d}X", name=f"预警流转测试企业{n}", name_norm=f"预警流转测试企业{n}")
    return Alert.objects.create(number=f"YJW{n:06d}", entity=entity, source="model", level="D", score=80,
                                title="模型评分高风险", department=_dept("SCJG"), status=transition.source[0],
                                raised_on=dt.date.today())


def _evaluation_report(transition: workflow.Transition):
    """A report in the source state whose comment period is over and whose files are built."""
    from regshare.evaluation.models import Report

    return Report.objects.create(
        title=f"营商环境评估报告{next(_numbers)}", period="2026", purpose="评估", method="指标", results="良好",
        problems="无", suggestions="持续改进", status=transition.source[0],
        comment_deadline=dt.date.today() - dt.timedelta(days=1), docx=b"docx", pdf=b"pdf")


def _incident(transition: workflow.Transition):
    """An incident of the 区市场监管局, registered by its liaison, reported at both levels (and handled, for closing)."""
    from django.utils import timezone

    from regshare.core.models import User
    from regshare.incidents.models import Incident

    now = timezone.now()
    return Incident.objects.create(
        number=f"AQT{next(_numbers):05d}", title="共享数据疑似泄露", grade="general", description="外部发现泄露线索",
        discovered_at=now, discoverer="巡检", department=_dept("SCJG"),
        registered_by=User.objects.get(username="scjg_liaison"), status=transition.source[0], report_hours=24,
        report_deadline=now + dt.timedelta(hours=24), bureau_reported_at=now, upward_reported_at=now)


FACTORIES = {
    "incidents.incident": _incident,
    "catalog.demand": _demand,
    "catalog.publication": _resource,
    "catalog.retirement": _published_resource,
    "exchange.grant": _grant,
    "exchange.application": _application,
    "exchange.correction": _correction,
    "credit.publicity": _credit_record,
    "credit.repair": _repair,
    "entities.link": _link,
    "evaluation.report": _evaluation_report,
    "risk.alert": _alert,
}

def _demo_object(flow: workflow.Workflow, transition: workflow.Transition):
    """Workflows without a factory of their own: an object of the demo data, put in the transition's source state."""
    model = flow.model_class
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the demo data has no {model._meta.verbose_name} for {flow.name}"
    model._default_manager.filter(pk=obj.pk).update(**{flow.state_field: transition.source[0]})
    obj.refresh_from_db()
    return obj


# Apps whose demo data must be built before their objects exist (the district, then the app's own demo step).
DEMO_STEPS = {"supervision": "regshare.demo.supervision", "evaluation": "regshare.demo.evaluation"}

TRANSITIONS = [(flow.name, t.name) for flow, t in workflow.transitions_of()]


# ----------------------------------------------------------------------------- who is who, from the declaration

def _principals() -> list[Principal]:
    return [Principal.for_user(u) for u in User.objects.filter(is_active=True).select_related("department")
            .order_by("username")]


def _holds(principal: Principal, transition: workflow.Transition, obj) -> bool:
    return has_perm(principal, transition.permission) or bool(
        transition.delegate and transition.delegate(principal, obj))


def _data(transition: workflow.Transition) -> dict:
    data = {key: "依据条例办理" for key, _ in transition.required}
    if transition.name == "announce_retirement":  # the successor is a resource, not a text
        data["successor"] = "SCJG-0008"
    if "resource" in data:  # a demand is matched to a published resource
        from regshare.catalog.models import Resource

        data["resource"] = Resource.objects.get(code="SCJG-0002")
    return data


def _refused(principal: Principal, obj, name: str) -> None:
    before = AuditRecord.objects.count()
    state = getattr(obj, workflow.find(obj, name)[0].state_field)
    with pytest.raises(PermissionDenied):
        workflow.perform(principal, obj, name, **_data(workflow.find(obj, name)[1]))
    obj.refresh_from_db()
    assert getattr(obj, workflow.find(obj, name)[0].state_field) == state
    assert AuditRecord.objects.count() == before
    assert name not in [t.name for t in workflow.available(principal, obj)]


def test_every_workflow_can_be_exercised():
    for flow in workflow.workflows():
        assert flow.name in FACTORIES or flow.model.split(".")[0] in DEMO_STEPS, flow.name


@pytest.fixture(scope="session")
def _demo_steps_built(_district_built, django_db_blocker):
    """The apps' demo steps, committed once per session on top of the district (as the district itself is)."""
    import importlib

    from django.test import override_settings

    from regshare.demo import DemoContext

    lake = Path(tempfile.gettempdir()) / f"regshare-test-district-{os.getpid()}"  # the district's (conftest.LAKE)
    with django_db_blocker.unblock(), override_settings(REGSHARE_LAKE_DIR=lake):
        for flow in workflow.workflows():
            step = DEMO_STEPS.get(flow.model.split(".")[0])
            if step and not flow.model_class._default_manager.exists():
                importlib.import_module(step).run(DemoContext(seed=1, entities=400, echo=lambda _m: None))


def _object(request, flow: workflow.Workflow, transition: workflow.Transition):
    if flow.name in FACTORIES:
        return FACTORIES[flow.name](transition)
    request.getfixturevalue("district")
    return _demo_object(flow, transition)


@pytest.mark.parametrize("flow_name, name", TRANSITIONS, ids=[f"{f}:{t}" for f, t in TRANSITIONS])
@pytest.mark.parametrize("who", ["anonymous", "no-permission", "other-department", "permitted"])
def test_transition(request, _demo_steps_built, demo, flow_name, name, who):
    flow = workflow.get(flow_name)
    transition = flow.transition(name)
    obj = _object(request, flow, transition)
    principals = _principals()
    if who == "anonymous":
        _refused(Principal(), obj, name)
    elif who == "no-permission":
        # The scheduler's steps are refused even to holders of the permission.
        outsider = next(p for p in principals if transition.automatic or not _holds(p, transition, obj))
        _refused(outsider, obj, name)
    elif who == "other-department":
        others = [p for p in principals if _holds(p, transition, obj) and transition.may_act is not None
                  and not transition.may_act(p, obj)]
        if transition.may_act is None or not others:
            pytest.skip("this transition is open to every holder of the permission")
        _refused(others[0], obj, name)
    else:
        if transition.when is not None and not transition.when(obj) and flow.name not in FACTORIES:
            pytest.skip(f"the demo {obj._meta.verbose_name} does not meet the transition's own rule")
        before = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        if transition.automatic:  # the scheduler's step: nobody may take it, the system does
            assert not any(workflow.may_perform(p, obj, name) for p in principals)
            workflow.perform_scheduled(obj, name, **_data(transition))
            actor = "system"
        else:
            permitted = next(p for p in principals if workflow.may_perform(p, obj, name))
            workflow.perform(permitted, obj, name, **_data(transition))
            actor = f"user:{permitted.user.username}"
        obj.refresh_from_db()
        assert getattr(obj, flow.state_field) == transition.target
        record = AuditRecord.objects.filter(seq__gt=before, action=flow.audit_action(transition)).get()
        assert record.actor == actor
        assert record.target == f"{obj._meta.label_lower}:{obj.pk}"
        assert f'"transition": "{name}"' in record.detail
