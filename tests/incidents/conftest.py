"""Fixtures of the incident tests: a live grant of SCJG-0001 to 区行政审批局 with a token and a subscription."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone


def small_registry(n: int = 3) -> pa.Table:
    return pa.table({
        "uscc": [f"91360404MA36{i:05d}Y" for i in range(n)],
        "name": [f"九江市柴桑区事件测试企业{i}有限公司" for i in range(n)],
        "legal_rep": ["李四"] * n,
        "legal_rep_id": [f"36040419850202{i:04d}" for i in range(n)],
        "phone": [f"139{i:08d}" for i in range(n)],
        "address": [f"江西省九江市柴桑区沙河街镇建设路{i}号" for i in range(n)],
        "established": [dt.date(2021, 3, 1)] * n,
        "capital": [50.0] * n,
        "industry": ["F52"] * n,
        "status": ["存续"] * n,
    })


@pytest.fixture
def grant(demo, principal_of_user):
    """An approved conditional grant: SCJG-0001 (区市场监管局) → 区行政审批局, masked."""
    from regshare.catalog.models import Resource, ShareType
    from regshare.exchange import services
    from regshare.lake import tables as lake

    resource = Resource.objects.get(code="SCJG-0001")
    resource.share_type = ShareType.CONDITIONAL
    resource.save(update_fields=["share_type"])
    resource.dedicated_departments.clear()
    lake.write("SCJG-0001", small_registry(), mode="replace")
    today = timezone.localdate()
    application = services.submit_application(principal_of_user("xzsp_liaison"), services.ApplicationInput(
        resource=resource, fields=["uscc", "name", "legal_rep_id"], purpose="企业开办审批核验",
        scenario="窗口核验登记信息", legal_basis="《优化营商环境条例》第三十五条", period_start=today,
        period_end=today + dt.timedelta(days=90),
        approval_file=SimpleUploadedFile("批准.pdf", b"%PDF-1.4 approval", content_type="application/pdf")))
    services.review(principal_of_user("sjj_reviewer"), application, True)
    services.review(principal_of_user("scjg_reviewer"), application, True)
    application.refresh_from_db()
    return application.grant


@pytest.fixture
def token(grant, principal_of_user):
    from regshare.exchange import services

    return services.issue_grant_token(principal_of_user("xzsp_admin"), grant, "审批系统").secret


@pytest.fixture
def subscription(grant):
    """A subscription with one push still waiting for its retry (made directly: no receiver is needed)."""
    from regshare.exchange.models import Delivery, Subscription

    sub = Subscription.objects.create(grant=grant, url="https://xzsp.example.gov.cn/hook", secret="s" * 40,
                                      delivered_version=0)
    Delivery.objects.create(subscription=sub, from_version=1, version=1, attempts=1,
                            next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    return sub


@pytest.fixture
def api(client):
    def call(method, path, token=None, **kwargs):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        if method == "post" and "data" in kwargs:
            kwargs.setdefault("content_type", "application/json")
        return getattr(client, method)(path, **headers, **kwargs)

    return call
