"""The outbound rule (core.egress): what table sources, interface pulls, webhooks and the API proxy may reach."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError

from regshare.core import egress
from regshare.core.models import AuditRecord, EgressAllow

PUBLIC = "93.184.216.34"


def refused(url: str) -> str:
    with pytest.raises(egress.EgressForbidden) as info:
        egress.check_url(url, purpose="测试")
    assert info.value.code == "egress_forbidden"
    return ";".join(info.value.messages)


@pytest.fixture
def fake_dns(monkeypatch):
    """``fake_dns["name.example"] = ["10.0.0.5", ...]``: names answer what the test says; numbers resolve as usual."""
    answers: dict[str, list[str]] = {}
    real = egress.resolve

    def resolve(host: str, port):
        return list(answers[host]) if host in answers else real(host, port)

    monkeypatch.setattr(egress, "resolve", resolve)
    return answers


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost:8000/x", "https://[::1]/", "http://0.0.0.0:80/",
    "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/",
    "http://100.64.0.1/", "http://224.0.0.1/", "http://255.255.255.255/", "http://[fe80::1]/", "http://[fc00::1]/",
    "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/", "http://[::7f00:1]/", "postgresql+psycopg://u@[::1]/db",
])
def test_internal_addresses_are_refused(demo, allow_egress, url):
    assert "不允许访问" in refused(url)


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001", "017700000001"])
def test_other_spellings_of_loopback_are_refused(demo, allow_egress, host):
    assert "不允许访问" in refused(f"postgresql+psycopg://u@{host}:5432/db")
    with pytest.raises(ValidationError) as info:  # httpx itself rejects some spellings as malformed
        egress.check_url(f"http://{host}/", purpose="测试")
    assert info.value.code in ("egress_forbidden", "bad_url")


def test_a_public_address_passes_and_a_name_is_checked_on_every_address(demo, allow_egress, fake_dns):
    assert egress.check_url(f"https://{PUBLIC}/api", purpose="测试").addresses == (PUBLIC,)
    fake_dns["dept.example"] = [PUBLIC]
    egress.check_url("http://dept.example/api", purpose="测试")
    fake_dns["dept.example"] = [PUBLIC, "10.0.0.5"]
    assert "10.0.0.5" in refused("http://dept.example/api")
    fake_dns["dept.example"] = ["::ffff:192.168.0.9"]
    refused("http://dept.example/api")


def test_allow_list_entries_from_the_setting_and_the_admin_table(demo, allow_egress, fake_dns):
    allow_egress("127.0.0.1:8080", "10.8.0.0/16", "intranet.example", "not an entry")
    egress.check_url("http://127.0.0.1:8080/x", purpose="测试")
    refused("http://127.0.0.1:8081/x")  # the entry names one port only
    egress.check_url("http://10.8.3.4/x", purpose="测试")
    refused("http://10.9.0.1/x")
    fake_dns["intranet.example"] = ["10.20.0.1"]
    egress.check_url("http://intranet.example:9000/x", purpose="测试")
    refused("http://192.168.5.5/x")
    EgressAllow.objects.create(entry="192.168.5.0/24", note="交换前置机")
    egress.check_url("http://192.168.5.5/x", purpose="测试")
    EgressAllow.objects.filter(entry="192.168.5.0/24").update(active=False)
    refused("http://192.168.5.5/x")


@pytest.mark.parametrize("text", ["", "http://x", "a b", "host:99999", "-/x", "[::1", "a..b"])
def test_malformed_entries_are_refused_with_a_chinese_message(demo, text):
    with pytest.raises(ValidationError) as info:
        EgressAllow(entry=text).full_clean()
    assert "白名单条目格式不正确" in str(info.value) or "不能为空" in str(info.value)


def test_platform_admin_manages_the_allow_list_on_the_admin_page_and_each_change_is_audited(client_as):
    client = client_as("admin")
    page = client.get("/admin/core/egressallow/add/")
    assert page.status_code == 200 and "出网白名单" in page.content.decode()
    bad = client.post("/admin/core/egressallow/add/", {"entry": "http://x", "note": "", "active": "on"})
    assert bad.status_code == 200 and "白名单条目格式不正确" in bad.content.decode()
    assert not EgressAllow.objects.exists()
    ok = client.post("/admin/core/egressallow/add/", {"entry": "10.8.0.0/16", "note": "前置机", "active": "on"})
    assert ok.status_code == 302
    entry = EgressAllow.objects.get()
    assert AuditRecord.objects.filter(action="admin.add", target=f"core.egressallow:{entry.pk}").exists()
    client.post(f"/admin/core/egressallow/{entry.pk}/delete/", {"post": "yes"})
    assert not EgressAllow.objects.exists()
    assert AuditRecord.objects.filter(action="admin.delete", target=f"core.egressallow:{entry.pk}").exists()
    bulk = [EgressAllow.objects.create(entry=f"10.9.{i}.0/24") for i in range(2)]
    client.post("/admin/core/egressallow/", {"action": "delete_selected", "_selected_action": [e.pk for e in bulk],
                                             "post": "yes"})
    assert not EgressAllow.objects.exists()
    for e in bulk:
        assert AuditRecord.objects.filter(action="admin.delete", target=f"core.egressallow:{e.pk}").exists()


# ----------------------------------------------------------------------------- files and the platform's databases


def own_database_files() -> list[Path]:
    from django.db import connection

    files = [Path(django_settings.DATA_DIR) / "regshare.sqlite3", Path(django_settings.HUEY["filename"])
             if "filename" in django_settings.HUEY else Path(django_settings.DATA_DIR) / "huey.sqlite3"]
    if connection.vendor == "sqlite":
        files.append(Path(connection.settings_dict["NAME"]))
    return files


def test_local_files_are_refused_unless_their_directory_is_allow_listed(demo, allow_egress, tmp_path):
    db = tmp_path / "dept.sqlite3"
    db.touch()
    assert "本机文件" in refused(f"sqlite:///{db}")
    refused("file:///etc/passwd")
    refused("sqlite://")  # in memory: no file named
    refused("sqlite:///relative.sqlite3")
    refused("postgresql+psycopg://user@/regshare")  # no host: the local socket
    allow_egress(tmp_path)
    assert egress.check_url(f"sqlite:///{db}", purpose="测试").path == db.resolve()
    refused(f"sqlite:///file:{db}?uri=true")
    refused(f"postgresql+psycopg://user@{PUBLIC}/db?host=/var/run/postgresql")
    refused(f"postgresql+psycopg://user@{PUBLIC}/db?hostaddr=127.0.0.1")


def test_the_platform_database_and_data_dir_stay_refused_even_when_allow_listed(demo, allow_egress, tmp_path):
    allow_egress("/", "127.0.0.1", "::1")
    for path in own_database_files():
        assert "平台自身" in refused(f"sqlite:///{path}")
    refused(f"sqlite:///{Path(django_settings.DATA_DIR) / 'anything' / '..' / 'x.db'}")
    refused("sqlite:////proc/self/fd/3")
    link = tmp_path / "innocent.sqlite3"
    link.symlink_to(own_database_files()[0])
    assert "平台自身" in refused(f"sqlite:///{link}")


def test_the_platform_postgresql_database_is_refused_other_databases_of_an_allowed_server_pass(
        demo, allow_egress, monkeypatch):
    monkeypatch.setitem(django_settings.DATABASES, "platform_pg", {
        "ENGINE": "django.db.backends.postgresql", "NAME": "regshare_prod", "HOST": "127.0.0.1", "PORT": "5432"})
    allow_egress("127.0.0.1:5432")
    assert "平台自身" in refused("postgresql+psycopg://u@127.0.0.1:5432/regshare_prod")
    assert "平台自身" in refused("postgresql+psycopg://u@localhost/regshare_prod")
    egress.check_url("postgresql+psycopg://u@127.0.0.1:5432/department_db", purpose="测试")


# ----------------------------------------------------------------------------- connecting


class _Redirector(BaseHTTPRequestHandler):
    hits: list[str] = []
    location = ""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).hits.append(self.path)
        if self.path.startswith("/go"):
            self.send_response(302)
            self.send_header("Location", type(self).location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Redirector.hits = []
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_client_checks_each_connection_so_a_changed_dns_answer_or_a_redirect_goes_nowhere(
        demo, allow_egress, fake_dns, local_server):
    port = local_server
    allow_egress(f"127.0.0.1:{port}")
    with egress.http_client(purpose="测试", timeout=5) as client:
        assert client.get(f"http://127.0.0.1:{port}/ok").status_code == 200
        # A name that passed the check while it pointed outside and answers an inner address when
        # the connection opens:
        fake_dns["svc.example"] = [PUBLIC]
        egress.check_url(f"http://svc.example:{port}/ok", purpose="测试")
        fake_dns["svc.example"] = ["127.0.0.2"]
        with pytest.raises(egress.EgressForbidden):
            client.get(f"http://svc.example:{port}/ok")
        # Redirects are not followed; and followed on purpose, the next hop is checked again.
        _Redirector.location = f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/secret"
        assert client.get(f"http://127.0.0.1:{port}/go").status_code == 302
        with pytest.raises(egress.EgressForbidden):
            client.get(f"http://127.0.0.1:{port}/go", follow_redirects=True)
    assert _Redirector.hits == ["/ok", "/go", "/go"]
