"""Fixtures of the exchange tests: a small SCJG-0001 table, applications carried through review, grants, tokens."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

ROWS = 30


def registry_table(n: int = ROWS, *, name_suffix: str = "") -> pa.Table:
    return pa.table({
        "uscc": [f"91360404MA35{i:05d}X" for i in range(n)],
        "name": [f"九江市柴桑区测试企业{i}有限公司{name_suffix}" for i in range(n)],
        "legal_rep": [("欧阳" if i % 5 == 0 else "张") + "三丰" for i in range(n)],
        "legal_rep_id": [f"36040419900101{i:04d}" for i in range(n)],
        "phone": [f"138{i:08d}" for i in range(n)],
        "address": [f"江西省九江市柴桑区沙河街镇民主路{i}号" for i in range(n)],
        "established": [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)],
        "capital": [float(100 + i) for i in range(n)],
        "industry": ["C13" if i % 2 else "F52" for i in range(n)],
        "status": ["存续" if i % 3 else "在业" for i in range(n)],
    })


@pytest.fixture
def resource(demo):
    from regshare.catalog.models import Resource, ShareType
    from regshare.lake import tables as lake

    res = Resource.objects.get(code="SCJG-0001")
    res.share_type = ShareType.CONDITIONAL
    res.save(update_fields=["share_type"])
    res.dedicated_departments.clear()
    lake.write("SCJG-0001", registry_table(), mode="replace")
    return res


@pytest.fixture
def approval():
    return lambda: SimpleUploadedFile("批准.pdf", b"%PDF-1.4 leader approval", content_type="application/pdf")


@pytest.fixture
def apply(principal_of_user, approval):
    """``apply(resource, fields=[...], user="xzsp_liaison", on=date)`` submits an application."""
    from regshare.exchange import services

    def submit(res, *, user="xzsp_liaison", fields=("uscc", "name", "legal_rep", "legal_rep_id", "phone", "address"),
               clear=(), on=None, row_filter=None):
        today = timezone.localdate()
        return services.submit_application(principal_of_user(user), services.ApplicationInput(
            resource=res, fields=list(fields), clear_fields=list(clear), purpose="企业开办审批核验",
            scenario="行政审批窗口核验申请人登记信息", legal_basis="《优化营商环境条例》第三十五条",
            period_start=today, period_end=today + dt.timedelta(days=180), approval_file=approval(),
            row_filter=row_filter or {}), on=on)

    return submit


@pytest.fixture
def granted(resource, apply, principal_of_user):
    """An approved conditional application: returns a factory of the grant for a consumer."""
    from regshare.exchange import services

    def make(*, user="xzsp_liaison", **kwargs):
        application = apply(resource, user=user, **kwargs)
        services.review(principal_of_user("sjj_reviewer"), application, True)
        services.review(principal_of_user("scjg_reviewer"), application, True)
        application.refresh_from_db()
        return application.grant

    return make


@pytest.fixture
def token_for(principal_of_user):
    from regshare.exchange import services

    def issue(grant, admin=None):
        admin = admin or f"{grant.consumer.code.split('-')[-1].lower()}_admin"
        return services.issue_grant_token(principal_of_user(admin), grant, "业务系统").secret

    return issue


@pytest.fixture
def api(client):
    def call(method, path, token=None, **kwargs):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return getattr(client, method)(path, **headers, **kwargs)

    return call


class Receiver:
    """A real local HTTP server that records what it receives and answers with the queued statuses."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        self.payload_for_get: object = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = outer.statuses.pop(0) if outer.statuses else 200
                outer.received.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                self.end_headers()

            def do_GET(self):  # noqa: N802
                outer.received.append({"path": self.path})
                data = json.dumps(outer.payload_for_get, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(allow_egress):
    server = Receiver()
    allow_egress(server.url.removeprefix("http://"))
    yield server
    server.close()
