"""Shared fixtures: the demo district's organisation and catalog are loaded once per session.

Tests whose outcome depends on the calendar are marked ``date_sensitive``; with ``--today=YYYY-MM-DD``
(or ``REGSHARE_TEST_TODAY``) they run with the clock moved to that day, so CI can try them on the
first of a month, the last day of the year or a holiday week whatever the real date is.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile
import zoneinfo
from pathlib import Path

import pytest

_LAKE = Path(tempfile.mkdtemp(prefix="regshare-test-lake-"))
os.environ["REGSHARE_LAKE_DIR"] = str(_LAKE)  # for child processes the tests start
# Files a test run keeps (rejected-row reports, uploads, model files, keys, media) go to a folder of this test
# process: test databases of parallel workers number their loads alike, so a shared var/ had two workers writing
# the same ``load-5.parquet``, and a developer's own var/ collected the tests' files.
_DATA = Path(tempfile.mkdtemp(prefix="regshare-test-data-"))

BASE_STEPS = ("regshare.demo.org", "regshare.demo.catalog")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--today", default=os.environ.get("REGSHARE_TEST_TODAY", ""), metavar="YYYY-MM-DD[,…]",
                     help="run the tests marked date_sensitive as if today were this date (several: once on each)")


def test_days(config: pytest.Config) -> list[dt.date]:
    text = config.getoption("--today")
    try:
        return [dt.date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise pytest.UsageError(f"--today / REGSHARE_TEST_TODAY takes YYYY-MM-DD dates separated by commas, "
                                f"not {text!r}") from exc


# The platform's Argon2 hashes cost a second of CPU each by design; the demo's fifty-odd users would spend
# a minute on them every time a test rebuilds the demo. Tests of the hashing itself ask for PLATFORM_HASHERS.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "date_sensitive: the outcome depends on today's date (see --today)")
    test_days(config)
    from django.conf import settings

    settings.PASSWORD_HASHERS = FAST_HASHERS


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With ``--today`` every date-sensitive test runs once per given day, in one session (one database setup)."""
    days = test_days(metafunc.config)
    if days and metafunc.definition.get_closest_marker("date_sensitive") is not None:
        metafunc.parametrize("_travel_to_test_today", days, indirect=True, ids=[f"on-{d}" for d in days])


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def query_engine(request: pytest.FixtureRequest, settings) -> str:
    """The test runs once per query engine (``REGSHARE_ENGINE``); Spark on one local core, one session a process."""
    settings.REGSHARE_ENGINE = request.param
    settings.REGSHARE_SPARK_CORES = 1
    settings.REGSHARE_SPARK_DRIVER_MEMORY = "512m"  # several test processes may each start a JVM
    return request.param


@pytest.fixture(autouse=True)
def _travel_to_test_today(request: pytest.FixtureRequest):
    """Move the clock of a ``date_sensitive`` test to its ``--today`` day (10:00 in Beijing; the clock runs on)."""
    day = getattr(request, "param", None)
    if day is None:
        yield None
        return
    import time_machine

    moment = dt.datetime.combine(day, dt.time(10), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield moment


def _empties_the_database(item: pytest.Item) -> bool:
    """Transactional tests (live servers, real commits) end by emptying every table."""
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    return bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in names or "live_server" in names


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests of the shared district run after every other test, and tests that empty the database after those.

    The district is committed once per session (building it per test would take minutes), so a test
    that counts or searches entities would see it if it ran later; putting the district's users last
    keeps every other test on the base demo alone, whatever order the files are collected in. A
    transactional test empties the tables when it ends, and a district test after it would rebuild the
    district inside its own rolled-back transaction, once per test: so those run at the very end.
    """
    items[:] = sorted(items, key=lambda item: (_empties_the_database(item),
                                               "district" in getattr(item, "fixturenames", ())))


def build_base_demo() -> None:
    from regshare.demo import build

    build(seed=1, entities=0, steps=BASE_STEPS)


@pytest.fixture(scope="session", autouse=True)
def _clean_lake():
    # pytest-django has read the settings before this module set REGSHARE_LAKE_DIR, so point the
    # settings at the temporary lake too (otherwise tests write into var/lake, shared by every run).
    from django.conf import settings

    settings.REGSHARE_LAKE_DIR = _LAKE
    settings.DATA_DIR, settings.MEDIA_ROOT = _DATA, _DATA / "media"
    # Background tasks run at once, in the test's own thread and database transaction.
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    shutil.rmtree(_LAKE, ignore_errors=True)
    shutil.rmtree(_DATA, ignore_errors=True)


def confirm_test_calendar_years(days: list[dt.date] = ()) -> None:
    """Confirm, as plain Monday-to-Friday test years, the years chinesecalendar does not know up to the year
    after today (real or ``--today``), so a deadline computed from today works in late December too.

    These are test data, marked as such; the tests of unknown years remove them (``unconfirmed_years``).
    """
    from regshare.core import workdays
    from regshare.core.models import CalendarYear

    last_needed = max([day.year for day in days] + [dt.date.today().year]) + 1
    for year in range(workdays.library_years()[1] + 1, last_needed + 1):
        CalendarYear.objects.get_or_create(year=year, defaults={"note": TEST_CALENDAR_NOTE})


TEST_CALENDAR_NOTE = "测试日历:仅周一至周五为工作日,非国务院公布的安排"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in Django's cache; each test starts with none, as after a restart.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    with django_db_blocker.unblock():
        build_base_demo()
        confirm_test_calendar_years(test_days(request.config))


@pytest.fixture
def demo(db, request):
    """The demo organisation and catalog; rebuilt if a transactional test flushed the database."""
    from regshare.core.models import User

    if not User.objects.filter(username="admin").exists():
        build_base_demo()
        confirm_test_calendar_years(test_days(request.config))
    return db


@pytest.fixture
def allow_egress(settings):
    """``allow_egress("127.0.0.1:8080", tmp_path)``: local test servers and SQLite files are internal
    addresses the platform refuses (core.egress) unless allow-listed, for this one test."""
    settings.REGSHARE_EGRESS_ALLOW = []

    def allow(*entries) -> None:
        settings.REGSHARE_EGRESS_ALLOW = [*settings.REGSHARE_EGRESS_ALLOW, *(str(e) for e in entries)]

    return allow


@pytest.fixture
def unconfirmed_years(db):
    """No year beyond chinesecalendar's is confirmed (the test calendar years are removed for this test)."""
    from regshare.core.models import CalendarYear

    CalendarYear.objects.all().delete()


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


@pytest.fixture
def lake_code(request: pytest.FixtureRequest):
    """A lake table code of this test's own (made from its name), absent at the start and dropped at the end."""
    import re

    from regshare.lake import tables

    code = "T-" + re.sub(r"[^0-9A-Za-z]+", "-", request.node.name).strip("-")[:60]
    tables.drop(code)
    yield code
    tables.drop(code)
