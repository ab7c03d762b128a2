import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pages_and_api_docs_work_under_the_policy(live_demo, page):
    """The browser enforces the Content-Security-Policy: no page of the platform may trip it."""
    violations = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    response = page.goto(f"{live_demo.url}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "Demo@2026")
    page.click("button[type=submit]")
    page.wait_for_selector("text=待办事项")
    assert page.evaluate("typeof window.htmx") == "object"
    for url in ("/", "/catalog/", "/catalog/transfer/", "/system/tokens/", "/system/users/", "/admin/"):
        page.goto(f"{live_demo.url}{url}")
        page.wait_for_load_state("networkidle")
    # The API docs come from the platform's own copy of Swagger UI and render the operations.
    page.goto(f"{live_demo.url}/api/v1/docs")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 10
    spec = page.request.get(f"{live_demo.url}/api/v1/openapi.json").json()
    assert sum(len(operations) for operations in spec["paths"].values()) > 100
    assert violations == []
