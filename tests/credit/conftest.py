"""A small demo district (entities + credit data) built once per test process in its own lake folder.

The same file is used by tests/credit and tests/portal; the first one to run builds the district
and the others find it in the database and the lake folder.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

DISTRICT_SIZE = 400
LAKE = Path(tempfile.gettempdir()) / f"regshare-test-district-{os.getpid()}"
STEPS = ("regshare.demo.org", "regshare.demo.catalog", "regshare.demo.entities", "regshare.demo.credit")
atexit.register(shutil.rmtree, LAKE, True)


@pytest.fixture(autouse=True)
def _huey_immediate():
    """Lake hooks run their huey task inline (pytest-django read the settings before the env flag was set)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


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
