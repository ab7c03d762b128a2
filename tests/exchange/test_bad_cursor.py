"""A cursor is the caller's text: one naming a version that does not exist is a 400, not a server error."""

from __future__ import annotations

import base64
import json


def _edit_cursor(cursor: str, **changes) -> str:
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload.update(changes)
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_a_cursor_naming_a_missing_version_or_offset_is_refused(granted, token_for, api):
    token = token_for(granted())
    first = api("get", "/api/v1/resources/SCJG-0001/rows?limit=5", token)
    assert first.status_code == 200
    cursor = first.json()["next_cursor"]
    assert api("get", f"/api/v1/resources/SCJG-0001/rows?limit=5&cursor={cursor}", token).status_code == 200
    for bad in (_edit_cursor(cursor, v=99), _edit_cursor(cursor, v=-1), _edit_cursor(cursor, o=2**64)):
        response = api("get", f"/api/v1/resources/SCJG-0001/rows?limit=5&cursor={bad}", token)
        assert response.status_code == 400, response.content
        assert response.json()["code"] in ("bad_version", "bad_cursor")
