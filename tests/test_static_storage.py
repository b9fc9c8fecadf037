"""Static URLs come from the manifest once, then from memory; unknown names still fail."""

import json

import pytest

from portal.storage import StaticStorage


@pytest.fixture
def storage(tmp_path, settings):
    settings.DEBUG = False
    manifest = {"version": "1.1", "hash": "x", "paths": {"css/portal.css": "css/portal.1a2b.css"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticStorage(location=tmp_path, base_url="/static/")


def test_the_hashed_url_is_looked_up_once(storage, monkeypatch):
    assert storage.url("css/portal.css") == "/static/css/portal.1a2b.css"
    monkeypatch.setattr(storage, "hashed_files", {})  # a second manifest lookup would fail
    assert storage.url("css/portal.css") == "/static/css/portal.1a2b.css"


def test_a_name_missing_from_the_manifest_is_an_error_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")
