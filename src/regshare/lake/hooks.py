"""Callbacks run after a new version of a resource's lake table is committed.

Other apps register at ``ready()`` time: ``hooks.on_version_written(my_callback)`` where
``my_callback(resource_code: str, version: int, mode: str)``. The exchange pushes increments to
subscribers from here; the entities app rebuilds the master. Callbacks run synchronously, in
registration order, after the Delta commit (and, for loads, after the ``Load`` record is saved);
a failing callback is logged and does not undo the version or stop the other callbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

Callback = Callable[[str, int, str], None]
_callbacks: list[Callback] = []


def on_version_written(callback: Callback) -> Callback:
    """Register ``callback``; usable as a decorator. Registering the same function twice is a no-op."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    return callback


def remove(callback: Callback) -> None:
    if callback in _callbacks:
        _callbacks.remove(callback)


def fire(resource_code: str, version: int, mode: str) -> list[Exception]:
    """Call every registered callback; returns the exceptions raised (already logged)."""
    errors: list[Exception] = []
    for callback in list(_callbacks):
        try:
            callback(resource_code, version, mode)
        except Exception as exc:  # one subscriber's failure must not break the load or the others
            log.exception("lake hook %r failed for %s v%s", callback, resource_code, version)
            errors.append(exc)
    return errors
