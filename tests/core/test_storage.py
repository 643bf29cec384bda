"""The storage interface on both backends: a temporary folder and a real S3 API (moto's server)."""

from __future__ import annotations

import pytest
import requests

from app.core.storage import IMMUTABLE, LocalStorage, S3Storage, StorageError, read_all, storage_from_config


def test_put_open_exists_delete(storage):
    storage.put("things/1/a.txt", b"hello", "text/plain")
    assert storage.exists("things/1/a.txt")
    assert read_all(storage.open("things/1/a.txt")) == b"hello"
    storage.put("things/1/a.txt", b"replaced", "text/plain")
    assert read_all(storage.open("things/1/a.txt")) == b"replaced"
    storage.delete("things/1/a.txt")
    assert not storage.exists("things/1/a.txt")
    storage.delete("things/1/a.txt")  # deleting what is gone is fine
    with pytest.raises(StorageError):
        storage.open("things/1/a.txt")


def test_list_and_delete_a_prefix(storage):
    for key in ("u/1/a", "u/1/b", "u/1/sub/c", "u/10/d", "v/1/e"):
        storage.put(key, key.encode(), "application/octet-stream")
    assert storage.list("u/1/") == ["u/1/a", "u/1/b", "u/1/sub/c"]
    assert storage.delete_prefix("u/1/") == 3
    assert storage.list("u/1/") == []
    assert storage.list("") == ["u/10/d", "v/1/e"]


@pytest.mark.parametrize("key", ["../escape", "/absolute", "a//b", "a/./b", "", "a\\b"])
def test_malformed_keys_are_refused(storage, key):
    with pytest.raises(StorageError):
        storage.put(key, b"x", "text/plain")


def test_urls_fetch_the_object(storage, client):
    storage.put("pics/1/abc-512.webp", b"RIFF-not-really", "image/webp", IMMUTABLE)
    url = storage.url("pics/1/abc-512.webp")
    if isinstance(storage, LocalStorage):
        assert url == "/media/pics/1/abc-512.webp"
        response = client.get(url)
        assert response.status_code == 200 and response.data == b"RIFF-not-really"
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.mimetype == "image/webp"
    else:
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=3600" in url
        response = requests.get(url, timeout=10)
        assert response.status_code == 200 and response.content == b"RIFF-not-really"
        assert response.headers["Cache-Control"] == IMMUTABLE


def test_a_public_bucket_gets_plain_urls(app, moto_server):
    store = storage_from_config(
        {**app.config, "STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "STORAGE_PUBLIC_URL": "https://cdn.example.com/"}
    )
    assert isinstance(store, S3Storage)
    assert store.url("avatars/1/x.webp") == "https://cdn.example.com/avatars/1/x.webp"


@pytest.mark.parametrize("path", ["/media/nothing/here", "/media/../config.py", "/media/%2e%2e/config.py"])
def test_the_media_route_serves_only_stored_objects(storage, client, path):
    assert client.get(path).status_code == 404


def test_an_unknown_backend_is_refused(app):
    with pytest.raises(ValueError, match="STORAGE_BACKEND"):
        storage_from_config({**app.config, "STORAGE_BACKEND": "ftp"})
