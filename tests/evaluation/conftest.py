import pytest


@pytest.fixture
def evaluation_demo(demo, time_machine):
    """The base demo plus the evaluation step, on a fixed day (2026-12-02: halves 2025H2, 2026H1, 2026H2), with a
    few market entities so that figures break down by industry."""
    import datetime as dt
    import zoneinfo

    from regshare.demo import DemoContext
    from regshare.demo import evaluation as step
    from regshare.entities.models import Entity
    from regshare.ingest.rules import uscc_check_char

    time_machine.move_to(dt.datetime(2026, 12, 2, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), tick=False)
    for n, industry in enumerate(["F5211", "C1310", "H6210", "E4710"] * 5):
        body = f"91360404MA{n:07d}"
        Entity.objects.get_or_create(uscc=body + uscc_check_char(body), defaults={
            "name": f"柴桑区演示企业{n}有限公司", "name_norm": f"演示企业{n}", "industry": industry, "status": "存续"})
    ctx = DemoContext(seed=1, entities=0, echo=lambda _m: None)
    step.run(ctx)
    return ctx
