"""Object storage behind one small interface: a local folder (served by the app) or any S3-compatible store.

`get_storage()` returns the backend `STORAGE_BACKEND` names (`local` or `s3`), built once per app. Keys are
`/`-separated paths (`avatars/7/3f2a...-512.webp`); a prefix is a key's leading part (`avatars/7/`).
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

from botocore.exceptions import ClientError
from flask import Blueprint, abort, current_app, send_file

IMMUTABLE = "public, max-age=31536000, immutable"  # for content-addressed keys: they never change


class StorageError(Exception):
    """A key is malformed or an object is missing."""


def check_key(key: str) -> str:
    """Return the key if it is a plain relative path (no `..`, no leading `/`, no empty part)."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\\" in key:
        raise StorageError(f"Malformed storage key: {key!r}")
    return key


class Storage(Protocol):
    """What every backend offers."""

    def put(self, key: str, data: bytes, content_type: str, cache_control: str | None = None) -> None:
        """Store `data` under `key`, replacing what was there."""

    def put_file(self, key: str, source: IO[bytes], content_type: str) -> None:
        """Store a readable file under `key`, streamed (never read into memory whole)."""

    def open(self, key: str) -> IO[bytes]:
        """Return a readable stream of the object (StorageError if it is missing)."""

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored under `key`."""

    def delete(self, key: str) -> None:
        """Delete one object (nothing happens if it is missing)."""

    def list(self, prefix: str) -> list[str]:
        """Return the keys under a prefix, sorted."""

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under a prefix; return how many."""

    def url(self, key: str) -> str:
        """Return a URL a client can fetch the object from (public, presigned or served by the app)."""


class LocalStorage:
    """Objects as files under a folder; the app serves them at `/media/<key>` (`media_blueprint`)."""

    def __init__(self, root: str | os.PathLike, base_url: str = "/media/") -> None:
        self.root = Path(root).resolve()
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def path(self, key: str) -> Path:
        """Return the file that holds a key."""
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes, content_type: str, cache_control: str | None = None) -> None:
        """Write the file atomically (a temporary file renamed into place)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)

    def put_file(self, key: str, source: IO[bytes], content_type: str) -> None:
        """Copy the file in chunks to a temporary file renamed into place."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        os.replace(tmp, target)

    def open(self, key: str) -> IO[bytes]:
        """Open the file for reading."""
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as error:
            raise StorageError(f"No object {key!r}") from error

    def exists(self, key: str) -> bool:
        """Tell whether the file exists."""
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file, and its folder once empty."""
        target = self.path(key)
        target.unlink(missing_ok=True)
        self._prune(target.parent)

    def list(self, prefix: str) -> list[str]:
        """Walk the folders under the prefix."""
        return sorted(key for key in self._walk() if key.startswith(prefix))

    def delete_prefix(self, prefix: str) -> int:
        """Remove every file under the prefix."""
        keys = self.list(prefix)
        for key in keys:
            self.delete(key)
        return len(keys)

    def url(self, key: str) -> str:
        """The app's own URL for the object."""
        return self.base_url + check_key(key)

    def _walk(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if not name.startswith(".tmp-"):
                    yield Path(folder, name).relative_to(self.root).as_posix()

    def _prune(self, folder: Path) -> None:
        while folder != self.root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


class S3Storage:
    """Objects in an S3 bucket (AWS or any compatible store at `S3_ENDPOINT_URL`).

    URLs are `public_url + key` when the bucket (or a CDN before it) is public-read, else presigned GETs
    valid for `url_expires` seconds.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        public_url: str | None = None,
        url_expires: int = 3600,
    ) -> None:
        self.bucket = bucket
        self.public_url = public_url.rstrip("/") + "/" if public_url else None
        self.url_expires = url_expires
        # boto3 is imported only when an S3 backend is built: it costs a process ~9 MB of memory that a local
        # backend does not need (bench/RESULTS.md, "Data export"); botocore's exceptions above are light.
        import boto3
        from botocore.client import Config as BotoConfig

        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=BotoConfig(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"}),
        )

    def put(self, key: str, data: bytes, content_type: str, cache_control: str | None = None) -> None:
        """Upload the object in one request."""
        extra = {"CacheControl": cache_control} if cache_control else {}
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type, **extra)

    def put_file(self, key: str, source: IO[bytes], content_type: str) -> None:
        """Upload in parts (boto3's managed transfer: multipart above 8 MB)."""
        self.client.upload_fileobj(source, self.bucket, check_key(key), ExtraArgs={"ContentType": content_type})

    def presigned_url(self, key: str, expires_in: int) -> str:
        """A presigned GET valid for `expires_in` seconds, even when the bucket has a public URL."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=expires_in
        )

    def open(self, key: str) -> IO[bytes]:
        """Return the object's body as a stream."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"]
        except ClientError as error:
            raise StorageError(f"No object {key!r}") from error

    def exists(self, key: str) -> bool:
        """Ask for the object's head."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Delete the object (S3 answers success for a missing one too)."""
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def list(self, prefix: str) -> list[str]:
        """Page through the bucket listing under the prefix."""
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def delete_prefix(self, prefix: str) -> int:
        """Delete in batches of 1,000 (S3's limit per request)."""
        keys = self.list(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def url(self, key: str) -> str:
        """A public URL, or a presigned GET."""
        if self.public_url:
            return self.public_url + check_key(key)
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=self.url_expires
        )


def storage_from_config(config: dict) -> Storage:
    """Build the backend a configuration names."""
    backend = config["STORAGE_BACKEND"]
    if backend == "local":
        return LocalStorage(config["STORAGE_LOCAL_PATH"], config["STORAGE_LOCAL_URL"])
    if backend == "s3":
        return S3Storage(
            config["S3_BUCKET"],
            endpoint_url=config["S3_ENDPOINT_URL"],
            region=config["S3_REGION"],
            access_key=config["AWS_ACCESS_KEY_ID"],
            secret_key=config["AWS_SECRET_ACCESS_KEY"],
            public_url=config["STORAGE_PUBLIC_URL"],
            url_expires=config["STORAGE_URL_EXPIRES"],
        )
    raise ValueError(f"STORAGE_BACKEND must be 'local' or 's3', not {backend!r}")


def get_storage() -> Storage:
    """Return this app's storage backend (built on first use)."""
    store = current_app.extensions.get("storage")
    if store is None:
        store = current_app.extensions["storage"] = storage_from_config(current_app.config)
    return store


def read_all(stream: IO[bytes]) -> bytes:
    """Read a storage stream to the end and close it."""
    try:
        return stream.read()
    finally:
        stream.close()


media_blueprint = Blueprint("media", __name__)


@media_blueprint.get("/media/<path:key>")
def serve_media(key: str):
    """Serve an object of the local backend whose key names its type, with long cache headers (content-addressed)."""
    store = get_storage()
    if not isinstance(store, LocalStorage):
        abort(404)
    try:
        path = store.path(key)
    except StorageError:
        abort(404)
    mimetype = mimetypes.guess_type(path.name)[0]
    if mimetype is None or not path.is_file():  # objects without a typed name (temporary uploads) stay private
        abort(404)
    response = send_file(path, mimetype=mimetype, max_age=31536000, conditional=True)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
