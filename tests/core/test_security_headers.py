"""Production behaviour of the web layer: no debug pages, the platform's own error pages, an API
docs page that needs no internet, the Content-Security-Policy, no-store and the HTTPS settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import regshare

SRC = Path(regshare.__file__).resolve().parent


def _settings_in_a_fresh_process(env: dict[str, str], *names: str) -> list[str]:
    """The values of settings as a new `regshare serve` process would have them."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGSHARE_") or k == "REGSHARE_LAKE_DIR"}
    clean.update(env)
    clean["PYTHONPATH"] = str(SRC.parent)
    clean["DJANGO_SETTINGS_MODULE"] = "regshare.settings"
    code = f"from django.conf import settings as s; print('|'.join(str(getattr(s, n)) for n in {names!r}))"
    out = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True)
    return out.stdout.strip().split("|")


def test_debug_is_off_unless_asked_for():
    assert _settings_in_a_fresh_process({}, "DEBUG") == ["False"]
    assert _settings_in_a_fresh_process({"REGSHARE_DEBUG": "1"}, "DEBUG") == ["True"]


def test_https_turns_on_secure_cookies_and_hsts():
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER")
    assert _settings_in_a_fresh_process({}, *names) == ["False", "False", "0", "None"]
    on = _settings_in_a_fresh_process({"REGSHARE_HTTPS": "1"}, *names)
    assert on == ["True", "True", "31536000", "('HTTP_X_FORWARDED_PROTO', 'https')"]


def test_hsts_header_over_https(demo, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    from django.test import Client

    client = Client()
    assert "Strict-Transport-Security" not in client.get("/login/")
    response = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert response["Strict-Transport-Security"] == "max-age=31536000"


# --- error pages ----------------------------------------------------------------------------------

def test_unknown_page_is_the_platform_404(client, demo):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_unknown_api_path_is_json(client, demo):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "接口或对象不存在,请检查地址。"}


def test_server_error_page_is_chinese_and_shows_no_trace(client_as, monkeypatch):
    from regshare.core import views

    def broken(principal):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(views, "pending_for", broken)
    client = client_as("scjg_liaison")
    client.raise_request_exception = False
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 500 and "系统内部错误" in page
    assert "secret internal detail" not in page and "Traceback" not in page


def test_server_error_in_the_api_is_json(client_as, monkeypatch):
    from regshare.core import api as core_api

    def broken(request):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(core_api, "principal_of", broken)
    client = client_as("scjg_liaison")
    client.raise_request_exception = False
    response = client.get("/api/v1/me")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error" and "系统内部错误" in response.json()["message"]
    assert "secret internal detail" not in response.content.decode()


# --- API docs without the internet -----------------------------------------------------------------

def test_api_docs_load_nothing_from_the_internet(client, demo):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert not re.search(r"https?://", page), "the docs page must not load anything from outside"
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content) if served.streaming else served.content
    # The settings the script reads point at the platform's own schema.
    assert '"url": "/api/v1/openapi.json"' in page
    assert client.get("/api/v1/openapi.json").status_code == 200


# --- Content-Security-Policy -------------------------------------------------------------------------

def _policy(response) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in response["Content-Security-Policy"].split(";")}


def test_pages_carry_a_policy_without_inline_script(client, demo):
    policy = _policy(client.get("/login/"))
    assert policy["script-src"] == "script-src 'self'"
    assert policy["style-src"] == "style-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe" not in " ".join(policy.values())
    assert "Content-Security-Policy" in client.get("/api/v1/docs")


# Rendered by weasyprint into a PDF, never served to a browser.
NOT_A_PAGE = {"credit/report.html", "exchange/receipt_pdf.html", "evaluation/report_pdf.html"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def _templates() -> list[tuple[str, str]]:
    found = []
    for path in sorted(SRC.glob("**/templates/**/*.html")):
        name = str(path).split("/templates/", 1)[1]
        if name not in NOT_A_PAGE:
            found.append((name, path.read_text(encoding="utf-8")))
    return found


def test_templates_have_no_inline_script_handler_or_style():
    templates = _templates()
    assert len(templates) > 40
    offenders = [name for name, text in templates
                 if INLINE_SCRIPT.search(text) or EVENT_HANDLER.search(text) or INLINE_STYLE.search(text)]
    assert offenders == []


@pytest.mark.parametrize(("username", "url"), [
    ("admin", "/"), ("admin", "/system/tokens/"), ("admin", "/catalog/"), ("admin", "/catalog/transfer/"),
    ("scjg_liaison", "/exchange/applications/new/"),
])
def test_rendered_pages_satisfy_the_policy(client_as, username, url):
    response = client_as(username).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert not INLINE_SCRIPT.search(page) and not EVENT_HANDLER.search(page) and not INLINE_STYLE.search(page)


# --- no-store for personal data -----------------------------------------------------------------------

def test_signed_in_pages_and_api_answers_are_not_stored(client_as, client, demo):
    assert client.get("/login/").get("Cache-Control") != "no-store"
    assert client.get("/api/v1/health")["Cache-Control"] == "no-store"
    signed_in = client_as("scjg_liaison")
    for url in ("/", "/notifications/", "/api/v1/me", "/catalog/"):
        response = signed_in.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url


def test_token_answers_are_not_stored(client, principal_of_user, user_named):
    from regshare.core.services import issue_token

    issued = issue_token(principal_of_user("scjg_admin"), department=user_named("scjg_admin").department,
                         name="登记系统", scopes=["departments.view"], days_valid=30)
    response = client.get("/api/v1/departments", headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client, demo):
    response = client.get("/static/regshare/app.css")
    assert response.status_code == 200 and response.get("Cache-Control") != "no-store"
