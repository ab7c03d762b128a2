"""The upload form starts on the safe mode (merge) and asks before a replace."""

from __future__ import annotations


def test_upload_form_defaults_to_merge_and_confirms_a_replace(client_as):
    page = client_as("scjg_liaison").get("/ingest/upload/").content.decode()
    assert "checked" in page.split('value="merge"')[1].split(">")[0]
    assert 'value="replace"' in page and "checked" not in page.split('value="replace"')[1].split(">")[0]
    assert 'data-confirm-when="mode=replace"' in page
