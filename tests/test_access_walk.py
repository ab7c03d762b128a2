"""Walk every page and every API operation as every role and as an anonymous visitor.

Pages and operations must declare a permission; the answer must match the policy: anonymous visitors
are sent to the login page (pages) or get 401 (API), a role without the permission gets 403, and a
role with it is let through (200, or a 4xx about the request itself). Nothing may answer 500.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from regshare.api import api
from regshare.core.models import Role
from regshare.core.permissions import AUTHENTICATED, PUBLIC, Principal, has_perm

ROLE_USERS = {
    Role.PLATFORM_ADMIN: "admin",
    Role.DEPARTMENT_ADMIN: "scjg_admin",
    Role.DATA_LIAISON: "scjg_liaison",
    Role.REVIEWER: "scjg_reviewer",
    Role.LEADER: "scjg_leader",
    Role.ANALYST: "fgj_analyst",
    Role.INSPECTOR: "scjg_inspector",
    Role.AUDITOR: "auditor",
}
PLACEHOLDER = "999999"
LET_THROUGH = {200, 201, 204, 302, 400, 404, 405, 409, 422}


def _page_patterns(resolver: URLResolver | None = None, prefix: str = ""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(("admin/", "api/", "static/", "media/")):
            continue
        if isinstance(entry, URLResolver):
            yield from _page_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback


def _fill(route: str) -> str:
    route = re.sub(r"<(?:\w+:)?\w+>", PLACEHOLDER, route)
    return "/" + route.lstrip("^").rstrip("$")


PAGES = sorted({(_fill(route), getattr(cb, "regshare_permission", None)) for route, cb in _page_patterns()})


def _operations():
    for pattern in api.urls[0]:
        callback = pattern.callback
        cells = [c.cell_contents for c in (getattr(callback, "__closure__", None) or ())]
        path_view = next((c for c in cells if hasattr(c, "operations")), None)
        if path_view is None:
            continue  # the OpenAPI schema and docs pages
        route = _fill(str(pattern.pattern))
        for operation in path_view.operations:
            permissions = {getattr(a, "permission", None) for a in operation.auth_callbacks}
            for method in operation.methods:
                yield f"/api/v1{route}", method, permissions


OPERATIONS = sorted(_operations(), key=lambda op: (op[0], op[1]))


def test_every_page_declares_a_permission():
    undeclared = [path for path, perm in PAGES if perm is None]
    assert not undeclared, f"pages without a declared permission: {undeclared}"


def test_every_api_operation_declares_one_permission():
    bad = [(path, method, perms) for path, method, perms in OPERATIONS if len(perms) != 1 or None in perms]
    assert not bad, f"operations without exactly one declared permission: {bad}"


def _allowed(role: str | None, perm: str) -> bool:
    if perm == PUBLIC:
        return True
    if role is None:
        return False
    return perm == AUTHENTICATED or has_perm(Principal(roles=frozenset({role}), user=object()), perm)


@pytest.fixture
def role_clients(demo, user_named):
    clients = {None: Client(raise_request_exception=True)}
    for role, username in ROLE_USERS.items():
        client = Client(raise_request_exception=True)
        client.force_login(user_named(username))
        clients[role] = client
    return clients


@pytest.mark.parametrize(("path", "perm"), PAGES)
def test_page_access_follows_policy(role_clients, path, perm):
    for role, client in role_clients.items():
        response = client.get(path)
        if _allowed(role, perm):
            assert response.status_code in LET_THROUGH, (path, role, response.status_code)
            if role is not None and response.status_code == 302:
                assert "/login/" not in response.url, (path, role)
        elif role is None:
            assert response.status_code == 405 or (response.status_code == 302 and "/login/" in response.url), (
                path, response.status_code)
        else:
            assert response.status_code in (403, 405), (path, role, response.status_code)


@pytest.mark.parametrize(("path", "method", "perms"), OPERATIONS)
def test_api_access_follows_policy(role_clients, path, method, perms):
    (perm,) = perms
    for role, client in role_clients.items():
        response = client.generic(method, path, "{}", content_type="application/json")
        if _allowed(role, perm):
            assert response.status_code in LET_THROUGH, (method, path, role, response.status_code)
        elif role is None:
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code == 403, (method, path, role, response.status_code)
