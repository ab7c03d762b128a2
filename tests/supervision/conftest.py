import pytest


@pytest.fixture
def sup(district):
    """The 400-entity district with the demo supervision data (catalog, inspectors, one completed draw …)."""
    from regshare.demo import DemoContext
    from regshare.demo import supervision as step

    step.run(DemoContext(seed=1, entities=400, echo=lambda _m: None))
    return district
