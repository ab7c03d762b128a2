"""A deterministic synthetic district (柴桑区) for the demo and the tests.

``build`` runs each step module in ``STEPS`` that exists; a step is a module with
``run(ctx: DemoContext) -> None``. Steps must be idempotent: running the demo twice with the same
seed leaves the same data.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from collections.abc import Callable
from dataclasses import dataclass, field

DEMO_PASSWORD = "Demo@2026"

# Order matters: later steps use what earlier ones made.
STEPS = (
    "regshare.demo.org",
    "regshare.demo.catalog",
    "regshare.demo.ingest",
    "regshare.demo.entities",
    "regshare.demo.credit",
    "regshare.demo.supervision",
    "regshare.demo.risk",
    "regshare.demo.exchange",
    "regshare.demo.incidents",
    "regshare.demo.evaluation",
)


@dataclass
class DemoContext:
    seed: int
    entities: int
    echo: Callable[[str], None]
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, department, roles
    data: dict = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        """A random generator per step, so adding a step does not change the others' data."""
        return random.Random(f"{self.seed}:{name}")


@dataclass
class DemoReport:
    logins: list[tuple[str, str, str]]

    def logins_text(self) -> str:
        lines = ["", f"演示账号(密码均为 {DEMO_PASSWORD})/ demo logins (password {DEMO_PASSWORD}):"]
        for username, department, roles in self.logins:
            lines.append(f"  {username:<16} {department:<10} {roles}")
        return "\n".join(lines)


def build(seed: int = 1, entities: int = 5000, echo: Callable[[str], None] = lambda _m: None,
          steps: tuple[str, ...] = STEPS) -> DemoReport:
    ctx = DemoContext(seed=seed, entities=entities, echo=echo)
    for module_name in steps:
        if importlib.util.find_spec(module_name) is None:
            continue
        echo(f"演示数据:{module_name.rsplit('.', 1)[-1]} …")
        importlib.import_module(module_name).run(ctx)
    return DemoReport(ctx.logins)
