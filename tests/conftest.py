"""Shared fixtures: the demo district's organisation and catalog are loaded once per session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_LAKE = Path(tempfile.mkdtemp(prefix="regshare-test-lake-"))
os.environ["REGSHARE_LAKE_DIR"] = str(_LAKE)  # for child processes the tests start

BASE_STEPS = ("regshare.demo.org", "regshare.demo.catalog")


def build_base_demo() -> None:
    from regshare.demo import build

    build(seed=1, entities=0, steps=BASE_STEPS)


@pytest.fixture(scope="session", autouse=True)
def _clean_lake():
    # pytest-django has read the settings before this module set REGSHARE_LAKE_DIR, so point the
    # settings at the temporary lake too (otherwise tests write into var/lake, shared by every run).
    from django.conf import settings

    settings.REGSHARE_LAKE_DIR = _LAKE
    # Background tasks run at once, in the test's own thread and database transaction.
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    shutil.rmtree(_LAKE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in Django's cache; each test starts with none, as after a restart.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        build_base_demo()


@pytest.fixture
def demo(db):
    """The demo organisation and catalog; rebuilt if a transactional test flushed the database."""
    from regshare.core.models import User

    if not User.objects.filter(username="admin").exists():
        build_base_demo()
    return db


@pytest.fixture
def user_named(demo):
    from regshare.core.models import User

    return lambda username: User.objects.get(username=username)


@pytest.fixture
def client_as(client, user_named):
    """``client_as("scjg_liaison")``: a test client signed in as that demo user."""

    def sign_in(username: str):
        client.force_login(user_named(username))
        return client

    return sign_in


@pytest.fixture
def principal_of_user(user_named):
    from regshare.core.permissions import Principal

    return lambda username: Principal.for_user(user_named(username))


# --- a small demo district with entities and credit data (tests of entities, credit, portal) -----
# Built once per test process in its own lake folder; the first test that asks builds it and the
# others find it in the database and the lake folder.
DISTRICT_SIZE = 400
LAKE = Path(tempfile.gettempdir()) / f"regshare-test-district-{os.getpid()}"
STEPS = ("regshare.demo.org", "regshare.demo.catalog", "regshare.demo.entities", "regshare.demo.credit")
atexit.register(shutil.rmtree, LAKE, True)


def build_district() -> None:
    from django.test import override_settings

    from regshare.demo import build
    from regshare.entities.models import Entity

    if Entity.objects.count() >= DISTRICT_SIZE and LAKE.exists():
        return
    with override_settings(REGSHARE_LAKE_DIR=LAKE):
        build(seed=1, entities=DISTRICT_SIZE, steps=STEPS)


@pytest.fixture(scope="session")
def _district_built(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        build_district()


@pytest.fixture
def district(_district_built, demo, settings):
    """Entities, credit records, lists and risk classes of a 400-entity district (planted risk known)."""
    settings.REGSHARE_LAKE_DIR = LAKE
    build_district()
    return DISTRICT_SIZE
