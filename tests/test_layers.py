"""The layer table: an app imports only apps below it (imports inside functions count).

core < lake < catalog < ingest, exchange < incidents < entities < credit < supervision < risk
< evaluation < portal, demo

``incidents`` (the security-incident register) sits just above exchange, not just above core: an
incident names the resources and grants involved (foreign keys to ``catalog.Resource`` and
``exchange.Grant``) and cuts their sharing channel through ``exchange.register_channel_guard``, which
it registers in its ``AppConfig.ready``; no lower app needs it (docs/DECISIONS.md). ``ingest`` and ``exchange`` share a layer and may not
import each other; so do ``portal`` and ``demo``. Project-level modules (``regshare.cli``,
``regshare.urls``, ``regshare.api``, ``regshare.settings``) wire the apps together and are not
layered.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "regshare"

LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("lake",),
    ("catalog",),
    ("ingest", "exchange"),
    ("incidents",),
    ("entities",),
    ("credit",),
    ("supervision",),
    ("risk",),
    ("evaluation",),
    ("portal", "demo", "cockpit"),
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).parts
        if len(parts) > 1 and parts[0] in RANK:
            found.append((parts[0], path))
    return found


def _imported_apps(path: Path) -> set[tuple[str, int]]:
    """Every ``regshare.<app>`` this module imports, anywhere in its body, with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(("regshare", *path.relative_to(SRC).parent.parts))
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            # import_module("regshare.x") / apps.get_model("x", ...) are imports too
            func = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if func == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
                names = [str(node.args[0].value)]
            elif func == "get_model" and node.args and isinstance(node.args[0], ast.Constant):
                label = str(node.args[0].value).split(".")[0]
                names = [f"regshare.{label}"]
        for name in names:
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] == "regshare" and parts[1] in RANK:
                found.add((parts[1], node.lineno))
    return found


def violations() -> list[str]:
    problems = []
    for app, path in _modules():
        for target, line in sorted(_imported_apps(path)):
            if target == app:
                continue
            if RANK[target] >= RANK[app]:
                problems.append(f"{path.relative_to(SRC.parent)}:{line}: {app} imports {target}")
    return problems


def test_every_app_is_in_the_layer_table():
    apps = {path.name for path in SRC.iterdir() if (path / "apps.py").exists() or (path / "__init__.py").exists()
            and path.is_dir() and path.name not in {"templates", "static", "__pycache__"}}
    apps.discard("static")
    apps.discard("templates")
    missing = sorted(app for app in apps if app not in RANK)
    assert not missing, f"apps missing from the layer table: {missing}"


def test_no_app_imports_its_own_layer_or_a_higher_one():
    problems = violations()
    assert not problems, "imports against the layer table:\n" + "\n".join(problems)


@pytest.mark.parametrize("source,expected", [
    ("from regshare.credit import models\n", {"credit"}),
    ("def f():\n    import regshare.credit.rules\n", {"credit"}),
    ("from regshare import credit\n", {"credit"}),
    ("from django.apps import apps\napps.get_model('credit', 'Record')\n", {"credit"}),
    ("from ..credit import models\n", {"credit"}),
])
def test_the_scan_sees_every_form_of_import(monkeypatch, source, expected):
    # relative imports resolve against the module's package: scan the text as if it lived in entities
    module = SRC / "entities" / "_layer_probe.py"
    original = Path.read_text

    def read(self, *args, **kwargs):
        return source if self == module else original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read)
    assert {app for app, _ in _imported_apps(module)} == expected
