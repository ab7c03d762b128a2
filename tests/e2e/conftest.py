from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by fixtures
    # in the same thread are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("浏览器测试需要 Debian 的 chromium(make test 会自动安装)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def live_demo(live_server):
    """A live server over the demo district (transactional tests start from an empty database)."""
    from regshare.demo import build

    build(seed=1, entities=0, steps=("regshare.demo.org", "regshare.demo.catalog"))
    return live_server


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    # A shared 2-core machine under a parallel build can take far longer than Playwright's 30 s default.
    context.set_default_timeout(120_000)
    page = context.new_page()
    yield page
    context.close()
