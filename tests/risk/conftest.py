"""The risk tests: a district with the demo's planted risk structure, trained and scored as of the demo's day."""

from __future__ import annotations

import pytest


@pytest.fixture
def model_dir(settings, tmp_path):
    settings.RISK_MODEL_DIR = str(tmp_path / "models")
    return tmp_path / "models"


@pytest.fixture
def risk_demo(district, model_dir, settings, tmp_path):
    """The 400-entity district with the planted clusters, a model version, scores and alerts (demo's today).

    The planted registrations and the licences go into a copy of the district's lake, so the tests of other
    apps that rebuild from the shared lake never see them."""
    import shutil
    from pathlib import Path

    from regshare.demo import DemoContext

    lake = tmp_path / "lake"
    shutil.copytree(Path(settings.REGSHARE_LAKE_DIR), lake)
    settings.REGSHARE_LAKE_DIR = lake
    from regshare.demo import risk as demo_risk

    ctx = DemoContext(seed=1, entities=district, echo=lambda _m: None)
    demo_risk.run(ctx)
    return ctx.data["risk_planted"]
