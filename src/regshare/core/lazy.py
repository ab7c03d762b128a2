"""Heavy libraries imported on first use.

Every ``regshare`` command and every web worker runs ``django.setup()``, which imports each app's
models, admin, policy and whatever its ``AppConfig.ready`` registers. If those modules import
pyarrow, DuckDB, Delta Lake, openpyxl, jieba, httpx or cryptography at the top, a command that needs
none of them (``regshare workdays is``) pays two seconds before doing anything. A module that uses such
a library in a few functions writes instead::

    pa = lazy_module("pyarrow")

and ``pa.table(...)`` imports pyarrow the first time an attribute is read. ``tests/test_startup.py``
checks that the light commands import none of the libraries listed in :data:`HEAVY`.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType
from typing import Any

# Top-level packages a light command must not import (tests/test_startup.py, bench/startup.py).
HEAVY = (
    "pyarrow", "duckdb", "deltalake", "polars", "pandas", "numpy", "splink", "sklearn", "optbinning",
    "lightgbm", "networkx", "jionlp", "jieba", "openpyxl", "python_calamine", "docx", "weasyprint",
    "reportlab", "faker", "httpx", "httpcore", "sqlalchemy", "cryptography", "ninja", "pydantic",
    "stdnum", "pyspark", "py4j",
)

_lock = threading.Lock()


class LazyModule:
    """Stands for a module until an attribute is read, then behaves as the imported module."""

    __slots__ = ("_lazy_name", "_lazy_module")

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_lazy_name", name)
        object.__setattr__(self, "_lazy_module", None)

    def _load(self) -> ModuleType:
        module = self._lazy_module
        if module is None:
            # Two threads of a web worker may reach the first use together; import once.
            with _lock:
                module = self._lazy_module
                if module is None:
                    # __import__ rather than importlib.import_module: ``python -X importtime`` reports
                    # only the imports that go through it, and it is the tool to find slow imports.
                    __import__(self._lazy_name)
                    module = sys.modules[self._lazy_name]
                    object.__setattr__(self, "_lazy_module", module)
        return module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        # Tests monkeypatch library functions (``pq.write_table``); the change goes to the real module.
        setattr(self._load(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._load())

    def __repr__(self) -> str:
        state = "loaded" if self._lazy_module is not None else "not loaded"
        return f"<lazy module {self._lazy_name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """``name`` imported on first attribute access (``lazy_module("pyarrow.compute")``)."""
    return LazyModule(name)
