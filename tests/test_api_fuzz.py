"""Schemathesis over the whole OpenAPI schema: no input a caller can send makes the API answer 5xx.

Every operation is called in process through the WSGI application, once as the platform admin's signed-in
session (with its CSRF token, so writes are reached) and once with a token of the data bureau that holds
every token scope. Cases come from the schema (valid and invalid values, boundaries, the coverage phase)
and are derandomized, so a run is repeatable; the counts are in docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from regshare.wsgi import application

# One CSRF secret for the cookie and the header: Django accepts an unmasked 32-character secret.
CSRF = "regsharefuzzcsrfsecret0123456789"
MAX_EXAMPLES = 8


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# What the calls got, by caller, status and error code; written to $REGSHARE_FUZZ_REPORT (JSON) when set.
TALLY: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_tally():
    yield
    if os.environ.get("REGSHARE_FUZZ_REPORT"):
        with open(os.environ["REGSHARE_FUZZ_REPORT"], "w", encoding="utf-8") as out:
            json.dump(dict(sorted(TALLY.items())), out, ensure_ascii=False, indent=1)


@pytest.fixture
def in_test_transaction(demo):
    """As Django's test client does: the requests run inside the test's transaction, so the handler must
    not close the database connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def callers(client, user_named, principal_of_user) -> list[dict]:
    """Headers and cookies of the two callers: the platform admin's session, and a token with every scope."""
    from django.conf import settings as django_settings

    from regshare.core import services
    from regshare.core.permissions import TOKEN_SCOPES

    admin = user_named("admin")
    client.force_login(admin)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    issued = services.issue_token(principal_of_user("admin"), department=admin.department,
                                  name="接口模糊测试", scopes=sorted(TOKEN_SCOPES))
    return [
        {"name": "session", "headers": {"X-CSRFToken": CSRF, "Referer": "http://localhost/"},
         "cookies": {django_settings.SESSION_COOKIE_NAME: session, django_settings.CSRF_COOKIE_NAME: CSRF}},
        {"name": "token", "headers": {"Authorization": f"Bearer {issued.secret}"}, "cookies": {}},
    ]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case, callers, in_test_transaction):
    TALLY["cases"] += 1
    # Generated Authorization headers would stand in for the session (a bearer header is tried first); the token
    # caller sends its own.
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    for caller in callers:
        response = case.call(headers=caller["headers"], cookies=caller["cookies"])
        code = ""
        if (response.headers.get("content-type") or [""])[0].startswith("application/json"):
            body = response.json()
            code = body.get("code", "") if isinstance(body, dict) else ""
        TALLY[f"{caller['name']} {response.status_code} {code}".strip()] += 1
        case.validate_response(response, checks=[not_a_server_error])
