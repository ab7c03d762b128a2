import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from regshare.core.models import ApiToken, AuditRecord, User
from regshare.core.services import issue_token


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_is_chinese_and_public(client, demo):
    response = client.get("/login/")
    assert response.status_code == 200
    assert "用户登录" in response.content.decode()


def test_passwords_are_hashed_with_argon2(demo, settings):
    from regshare import settings as platform_settings

    settings.PASSWORD_HASHERS = platform_settings.PASSWORD_HASHERS
    admin = User.objects.get(username="admin")
    admin.set_password("Demo@2026")
    admin.save()
    assert admin.password.startswith("argon2")
    assert _login(Client(), "admin", "Demo@2026").status_code == 302


def test_login_success_and_logout_are_audited(client, demo):
    response = _login(client, "scjg_liaison", "Demo@2026")
    assert response.status_code == 302 and response.url == "/"
    assert AuditRecord.objects.filter(action="login.success", actor="user:scjg_liaison").exists()
    client.post("/logout/")
    assert AuditRecord.objects.filter(action="logout", actor="user:scjg_liaison").exists()
    assert client.get("/").status_code == 302


def test_five_failures_lock_the_account_for_fifteen_minutes(client, demo):
    for _ in range(4):
        response = _login(client, "scjg_reviewer", "wrong-password")
        assert "用户名或密码错误" in response.content.decode()
    response = _login(client, "scjg_reviewer", "wrong-password")
    assert "锁定" in response.content.decode()
    user = User.objects.get(username="scjg_reviewer")
    assert user.locked_until is not None
    assert dt.timedelta(minutes=14) < user.locked_until - timezone.now() <= dt.timedelta(minutes=15)
    # Even the right password is refused while locked.
    response = _login(client, "scjg_reviewer", "Demo@2026")
    assert response.status_code == 200 and "锁定" in response.content.decode()
    assert AuditRecord.objects.filter(action="login.failed", actor="user:scjg_reviewer").count() == 5
    # After the lock-out the right password works again.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert _login(client, "scjg_reviewer", "Demo@2026").status_code == 302


def test_unknown_user_failure_is_audited_without_error(client, demo):
    response = _login(client, "nobody", "x")
    assert "用户名或密码错误" in response.content.decode()
    assert AuditRecord.objects.filter(action="login.failed", actor="user:nobody").exists()


def test_open_redirect_is_refused(client, demo):
    response = client.post("/login/", {"username": "scjg_liaison", "password": "Demo@2026",
                                       "next": "https://evil.example.com/"})
    assert response.url == "/"


@pytest.fixture
def issued(principal_of_user, user_named):
    admin = principal_of_user("scjg_admin")
    return issue_token(admin, department=user_named("scjg_admin").department, name="登记系统",
                       scopes=["departments.view"], days_valid=30)


def test_token_secret_is_shown_once_and_stored_hashed(issued):
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret not in token.secret_hash
    assert issued.secret.startswith("rs_") and len(issued.secret) > 40
    assert AuditRecord.objects.filter(action="token.issue").exists()


def test_token_authenticates_within_scope(client, issued):
    headers = {"Authorization": f"Bearer {issued.secret}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["kind"] == "system" and me.json()["department"]["name"] == "区市场监管局"
    assert client.get("/api/v1/departments", headers=headers).status_code == 200
    # Out of scope: a person's permission never flows to a token.
    assert client.get("/api/v1/audit", headers=headers).status_code == 403
    assert AuditRecord.objects.filter(action="token.use").exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.secret[:-2] + "xx",  # forged
        lambda t: "rs_" + "A" * 43,  # unknown
        lambda t: "not-a-token",
    ],
)
def test_forged_tokens_are_rejected(client, issued, mangle):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {mangle(issued)}"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_revoked_and_expired_tokens_stop_working(client, issued, principal_of_user):
    from regshare.core.services import revoke_token

    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    revoke_token(principal_of_user("scjg_admin"), ApiToken.objects.get(pk=issued.token.pk))
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert AuditRecord.objects.filter(action="token.revoke").exists()


def test_department_admin_cannot_issue_for_another_department(principal_of_user, user_named):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        issue_token(principal_of_user("scjg_admin"), department=user_named("swj_admin").department,
                    name="x", scopes=["departments.view"])


def test_token_api_issues_and_refuses_bad_input(client_as):
    client = client_as("swj_admin")
    before = ApiToken.objects.count()
    bad = client.post("/api/v1/tokens", {"name": "x", "scopes": ["no.such.scope"]}, content_type="application/json")
    assert bad.status_code == 400 and "未知的权限范围" in bad.json()["message"]
    assert ApiToken.objects.count() == before
    good = client.post("/api/v1/tokens", {"name": "税务系统", "scopes": ["departments.view"], "days_valid": 10},
                       content_type="application/json")
    assert good.status_code == 201 and good.json()["secret"].startswith("rs_")
    listed = client.get("/api/v1/tokens").json()
    assert listed["count"] == 1 and "secret" not in listed["items"][0]


def test_session_writes_need_csrf(demo, user_named):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("swj_admin"))
    response = client.post("/api/v1/tokens", {"name": "x", "scopes": ["departments.view"]},
                           content_type="application/json")
    assert response.status_code == 401


def test_department_admin_creates_and_unlocks_users_of_own_department(client_as, user_named):
    client = client_as("swj_admin")
    response = client.post("/system/users/", {"username": "swj_new", "full_name": "新同事", "password": "Passw0rd!x",
                                              "roles": ["data_liaison"]})
    assert response.status_code == 302
    created = User.objects.get(username="swj_new")
    assert created.department.name == "区税务局" and created.roles == ["data_liaison"]
    assert AuditRecord.objects.filter(action="user.create", target=f"core.user:{created.pk}").exists()
    # A department admin cannot hand out the platform admin role.
    page = client.post("/system/users/", {"username": "swj_boss", "full_name": "x", "password": "Passw0rd!x",
                                          "roles": ["platform_admin"]})
    assert page.status_code == 200 and not User.objects.filter(username="swj_boss").exists()
    User.objects.filter(pk=created.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=10))
    client.post(f"/system/users/{created.pk}/unlock/")
    assert User.objects.get(pk=created.pk).locked_until is None
    listing = client.get("/system/users/").content.decode()
    assert "swj_new" in listing and "scjg_liaison" not in listing


def test_admin_site_changes_are_audited(client_as, user_named):
    from regshare.core.models import Department

    client = client_as("admin")
    department = Department.objects.get(name="区城管局")
    response = client.post(f"/admin/core/department/{department.pk}/change/", {
        "code": department.code, "name": "区城市管理局", "short_name": "城管", "level": "department",
        "division_code": department.division_code, "parent": department.parent_id, "duties": "", "active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:500]
    assert Department.objects.get(pk=department.pk).name == "区城市管理局"
    assert AuditRecord.objects.filter(action="admin.change", target=f"core.department:{department.pk}").exists()


# --- one login for the whole platform: the Django admin signs in through the platform's rules ------

def test_admin_login_page_is_the_platform_login(client, demo):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/admin/login/?next=/admin/")
    page = response.content.decode()
    assert "用户登录" in page and 'name="next" value="/admin/"' in page


def test_five_failures_on_the_admin_login_lock_the_account(client, demo):
    for _ in range(4):
        response = client.post("/admin/login/", {"username": "admin", "password": "wrong-password"})
        assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
    response = client.post("/admin/login/", {"username": "admin", "password": "wrong-password"})
    assert "锁定" in response.content.decode()
    assert User.objects.get(username="admin").locked_until > timezone.now()
    assert AuditRecord.objects.filter(action="login.failed", actor="user:admin").count() == 5
    # Locked everywhere: neither the admin login nor the platform login accepts the right password.
    for url in ("/admin/login/", "/login/"):
        response = client.post(url, {"username": "admin", "password": "Demo@2026"})
        assert response.status_code == 200 and "锁定" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_admin_login_success_is_audited_and_opens_the_admin(client, demo):
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "Demo@2026"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert AuditRecord.objects.filter(action="login.success", actor="user:admin").exists()
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout/")
    assert AuditRecord.objects.filter(action="logout", actor="user:admin").exists()
    assert client.get("/admin/").status_code == 302


# --- rate limits -------------------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """The rate limits' clock, frozen at a window's start; ``clock.advance(seconds)`` moves it."""
    from regshare.core import ratelimit

    class Clock:
        now = 1_800_000_000.0

        def __call__(self) -> float:
            return self.now

        def advance(self, seconds: float) -> None:
            self.now += seconds

    frozen = Clock()
    monkeypatch.setattr(ratelimit, "clock", frozen)
    return frozen


def test_login_is_rate_limited_per_user_name(client, demo, settings, clock):
    settings.REGSHARE_LOGIN_RATE_PER_USERNAME = (3, 300)
    settings.REGSHARE_LOCKOUT_ATTEMPTS = 100
    for _ in range(3):
        assert _login(client, "scjg_reviewer", "wrong-password").status_code == 200
    failures = AuditRecord.objects.filter(action="login.failed").count()
    response = _login(client, "scjg_reviewer", "Demo@2026")
    assert response.status_code == 429
    assert "登录尝试过于频繁" in response.content.decode() and response["Retry-After"] == "300"
    # The password was not even checked, so the right one does not get through, and nothing is recorded.
    assert "_auth_user_id" not in client.session
    assert AuditRecord.objects.filter(action="login.failed").count() == failures
    # Another user name from the same address is not affected ...
    assert _login(client, "scjg_liaison", "Demo@2026").status_code == 302
    # ... and when the window has passed the user may try again.
    clock.advance(300)
    assert _login(client, "scjg_reviewer", "Demo@2026").status_code == 302


def test_login_is_rate_limited_per_address(client, demo, settings, clock):
    settings.REGSHARE_LOGIN_RATE_PER_IP = (3, 300)
    clock.advance(120)
    for name in ("guess1", "guess2", "guess3"):
        assert _login(client, name, "x").status_code == 200
    response = _login(client, "guess4", "x")
    assert response.status_code == 429 and response["Retry-After"] == "180"
    assert not AuditRecord.objects.filter(actor="user:guess4").exists()
    other = client.post("/login/", {"username": "guess4", "password": "x"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200 and "用户名或密码错误" in other.content.decode()


def test_api_is_rate_limited_per_token(client, issued, settings, clock, client_as):
    settings.REGSHARE_API_RATE_PER_PRINCIPAL = (3, 60)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    for _ in range(3):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    refused = client.get("/api/v1/departments", headers=headers)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert refused.json()["code"] == "rate_limited" and "调用过于频繁" in refused.json()["message"]
    # A person signed in is counted on their own.
    assert client_as("scjg_liaison").get("/api/v1/me").status_code == 200
    clock.advance(60)
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_api_is_rate_limited_per_signed_in_person(client_as, settings, clock):
    settings.REGSHARE_API_RATE_PER_PRINCIPAL = (2, 60)
    client = client_as("scjg_liaison")
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    # Public endpoints (health checks of the load balancer) are not counted.
    assert client.get("/api/v1/health").status_code == 200


def test_rejected_tokens_add_a_bounded_number_of_audit_records(client, issued, clock):
    from regshare.core.audit import verify

    before = AuditRecord.objects.count()
    for n in range(100):
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer rs_{n:043d}"})
        assert response.status_code == 401
    # One record for the source's minute, however many tokens it tried.
    rejected = AuditRecord.objects.filter(action="token.rejected")
    assert AuditRecord.objects.count() - before == 1 == rejected.count()
    assert json.loads(rejected.get().detail)["source"] == "127.0.0.1"
    # The next minute's first rejection is recorded with the count of the minute before.
    clock.advance(60)
    client.get("/api/v1/me", headers={"Authorization": "Bearer rs_" + "B" * 43})
    latest = AuditRecord.objects.filter(action="token.rejected").order_by("-seq").first()
    assert AuditRecord.objects.count() - before == 2
    assert json.loads(latest.detail)["previous_minute"]["count"] == 100
    # Another address gets its own record at once.
    client.get("/api/v1/me", headers={"Authorization": "Bearer rs_" + "C" * 43}, REMOTE_ADDR="10.9.9.9")
    assert AuditRecord.objects.filter(action="token.rejected").count() == 3
    assert verify().ok


def test_admin_login_tells_a_signed_in_person_without_staff_status_why(client_as):
    response = client_as("scjg_liaison").get("/admin/", follow=True)
    assert response.status_code == 200 and "无权进入后台管理" in response.content.decode()
