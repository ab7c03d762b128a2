"""Demo sharing workflow: an approved grant (区行政审批局 → SCJG-0001, masked), an application
waiting for the provider, one refused with a reason, and a review delegation. Idempotent: each
application is keyed by a fixed demo number."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from regshare.catalog.models import Resource
from regshare.core.models import User
from regshare.core.permissions import Principal

from . import DemoContext

DEMO_APPLICATIONS = [
    # number, requester user, fields, clear fields, outcome
    ("SQDEMO0001", "xzsp_liaison", ["uscc", "name", "legal_rep", "legal_rep_id", "phone", "address", "status"], [],
     "approved"),
    ("SQDEMO0002", "swj_liaison", ["uscc", "name", "capital", "status"], [], "provider_review"),
    ("SQDEMO0003", "cgj_liaison", ["uscc", "name", "legal_rep_id", "phone"], ["phone"], "rejected"),
]


def _who(username: str) -> Principal:
    return Principal.for_user(User.objects.get(username=username))


def run(ctx: DemoContext) -> None:
    from regshare.exchange import services
    from regshare.exchange.models import Application, ReviewDelegate

    resource = Resource.objects.filter(code="SCJG-0001").first()
    if resource is None or resource.share_type == "none":
        return
    today = timezone.localdate()
    for number, username, fields, clear, outcome in DEMO_APPLICATIONS:
        if Application.objects.filter(number=number).exists():
            continue
        application = services.submit_application(_who(username), services.ApplicationInput(
            resource=resource, fields=fields, clear_fields=clear, purpose="履行市场准入审批和监管职责核验市场主体登记信息",
            scenario="窗口办件时核验企业登记状态和法定代表人信息", legal_basis="《优化营商环境条例》第三十五条",
            period_start=today, period_end=today + dt.timedelta(days=365),
            approval_file=SimpleUploadedFile("分管领导批准.pdf", b"%PDF-1.4 demo approval", "application/pdf")))
        Application.objects.filter(pk=application.pk).update(number=number)
        application.refresh_from_db()
        if outcome in ("approved", "provider_review", "rejected"):
            services.review(_who("sjj_reviewer"), application, True, "符合性审查通过")
        if outcome == "approved" and application.current_step() is not None:
            services.review(_who("scjg_reviewer"), application, True, "同意,敏感数据项脱敏提供")
        if outcome == "rejected":
            services.review(_who("scjg_reviewer"), application, False, "申请明文手机号超出履职必需范围,请按脱敏方式重新申请")
    if not ReviewDelegate.objects.filter(provider=resource.provider, delegate__username="scjg_inspector").exists():
        services.delegate_review(_who("scjg_admin"), User.objects.get(username="scjg_inspector"), resource)
    ctx.echo("演示数据:共享申请 3 件(已授权、待提供部门审核、已驳回)")
