"""Avatars on both storage backends: content checks, the variant job, no metadata kept, no orphans left."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import requests
from PIL import Image, ImageCms

from app.accounts import avatars
from app.accounts.models import AvatarStatus, User
from app.core.storage import LocalStorage, read_all
from app.extensions import db
from tests.conftest import wait_for

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def photo_jpeg(width: int = 600, height: int = 400) -> bytes:
    """A camera-like JPEG: left half red, right half blue, EXIF orientation 6 (rotate 90° clockwise), GPS, ICC."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=SRGB, quality=90)
    return out.getvalue()


def animated_png() -> bytes:
    """Two frames: green then magenta."""
    frames = [Image.new("RGB", (300, 300), (0, 255, 0)), Image.new("RGB", (300, 300), (255, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size and holds no pixels (a decompression bomb's header is all it takes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


def _put(client, user_id, data: bytes, headers, name="me.jpg", content_type="image/jpeg"):
    return client.put(
        f"/api/users/{user_id}/avatar",
        data={"file": (io.BytesIO(data), name, content_type)},
        headers=headers,
        content_type="multipart/form-data",
    )


def _fetch(storage, client, url: str) -> bytes:
    if isinstance(storage, LocalStorage):
        response = client.get(url)
        assert response.status_code == 200
        return response.data
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return response.content


def _process(user_id: int) -> str:
    user = db.session.get(User, user_id)
    db.session.refresh(user)
    result = avatars.make_variants(user_id, user.profile_image_upload_key)
    db.session.commit()
    return result


def _stored(storage, user_id: int) -> list[str]:
    return storage.list(avatars.prefix(user_id))


def _assert_no_metadata(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif(), "EXIF survived"
        assert "exif" not in image.info and "xmp" not in image.info
    assert b"Exif" not in data and b"SpyCam" not in data and b"GPS" not in data


@pytest.mark.parametrize("dimensions", [(600, 400), (2400, 1600)])  # the larger one is decoded at a reduced scale
def test_upload_then_the_job_makes_clean_oriented_variants(storage, client, make_user, login, dimensions):
    user = make_user()
    headers = login(user)
    response = _put(client, "me", photo_jpeg(*dimensions), headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["profile_image"] == {"status": "processing", "url": None, "thumb_url": None}
    [upload_key] = _stored(storage, user.id)
    assert "upload-" in upload_key
    if isinstance(storage, LocalStorage):  # the upload, metadata and all, is never served
        assert client.get(storage.url(upload_key)).status_code == 404

    assert _process(user.id) == "ready"
    image = client.get("/api/users/me", headers=headers).get_json()["profile_image"]
    assert image["status"] == "ready"
    big, thumb = _fetch(storage, client, image["url"]), _fetch(storage, client, image["thumb_url"])
    for data, size in ((big, 512), (thumb, 128)):
        with Image.open(io.BytesIO(data)) as variant:
            assert variant.format == "WEBP" and variant.size == (size, size)
            assert variant.info.get("icc_profile") == SRGB  # the colour profile is the one thing kept
            pixels = variant.convert("RGB")
            top, bottom = pixels.getpixel((size // 2, size // 8)), pixels.getpixel((size // 2, size * 7 // 8))
        assert top[0] > 200 and top[2] < 60, top  # the left (red) half is on top once the orientation is applied
        assert bottom[2] > 200 and bottom[0] < 60, bottom
        _assert_no_metadata(data)
    db.session.refresh(user)
    assert sorted(_stored(storage, user.id)) == sorted([user.profile_image_key, user.profile_image_thumb_key])
    assert user.profile_image_key.endswith("-512.webp") and user.profile_image_thumb_key.endswith("-128.webp")


def test_no_stored_object_carries_exif_or_gps(storage, client, make_user, login):
    users = [make_user() for _ in range(2)]
    for user in users:
        _put(client, "me", photo_jpeg(), login(user))
        _process(user.id)
    _put(client, "me", photo_jpeg(800, 500), login(users[0]))  # one pending upload too: it is not kept either
    _process(users[0].id)
    keys = storage.list("")
    assert len(keys) == 4
    for key in keys:
        _assert_no_metadata(read_all(storage.open(key)))


def test_the_first_frame_only(storage, client, make_user, login):
    user = make_user()
    assert _put(client, "me", animated_png(), login(user), "a.png", "image/png").status_code == 200
    _process(user.id)
    db.session.refresh(user)
    with Image.open(storage.open(user.profile_image_key)) as variant:
        assert getattr(variant, "n_frames", 1) == 1
        assert variant.convert("RGB").getpixel((10, 10))[1] > 200  # green, the first frame


def test_replacing_leaves_only_the_new_variants(storage, client, make_user, login):
    user = make_user()
    headers = login(user)
    _put(client, "me", photo_jpeg(), headers)
    _process(user.id)
    first = set(_stored(storage, user.id))
    replaced = _put(client, "me", animated_png(), headers, "b.png", "image/png").get_json()["profile_image"]
    assert replaced["status"] == "processing" and replaced["url"]  # the previous avatar shows meanwhile
    _process(user.id)
    second = set(_stored(storage, user.id))
    assert len(second) == 2 and not first & second


def test_a_second_upload_before_the_first_is_processed(storage, client, make_user, login):
    user = make_user()
    headers = login(user)
    _put(client, "me", photo_jpeg(), headers)
    db.session.refresh(user)
    first_upload = user.profile_image_upload_key
    _put(client, "me", animated_png(), headers, "b.png", "image/png")
    assert avatars.make_variants(user.id, first_upload) == "stale"  # the first job, late
    db.session.commit()
    assert _process(user.id) == "ready"
    assert len(_stored(storage, user.id)) == 2


def test_a_killed_workers_retry_writes_the_same_keys_and_leaves_no_orphans(storage, client, make_user, login):
    user = make_user()
    _put(client, "me", photo_jpeg(), login(user))
    db.session.refresh(user)
    upload_key = user.profile_image_upload_key
    assert avatars.make_variants(user.id, upload_key) == "ready"
    first_keys = (user.profile_image_key, user.profile_image_thumb_key)
    db.session.rollback()  # the worker died before its commit: the objects are written, the row is not
    db.session.refresh(user)
    assert user.profile_image_upload_key == upload_key and user.profile_image_status == AvatarStatus.PROCESSING

    assert avatars.make_variants(user.id, upload_key) == "ready"  # the redelivered job
    db.session.commit()
    assert (user.profile_image_key, user.profile_image_thumb_key) == first_keys
    assert sorted(_stored(storage, user.id)) == sorted(first_keys)
    assert avatars.make_variants(user.id, upload_key) == "stale"  # redelivered once more after its commit
    db.session.commit()
    assert sorted(_stored(storage, user.id)) == sorted(first_keys)


def test_delete_leaves_nothing_under_the_prefix(storage, client, make_user, login):
    user = make_user()
    headers = login(user)
    _put(client, "me", photo_jpeg(), headers)
    _process(user.id)
    assert client.delete("/api/users/me/avatar", headers=headers).status_code == 204
    assert client.get("/api/users/me", headers=headers).get_json()["profile_image"] is None
    assert _stored(storage, user.id) == []


def test_delete_while_processing_then_the_late_job(storage, client, make_user, login):
    user = make_user()
    headers = login(user)
    _put(client, "me", photo_jpeg(), headers)
    db.session.refresh(user)
    upload_key = user.profile_image_upload_key
    assert client.delete("/api/users/me/avatar", headers=headers).status_code == 204
    assert avatars.make_variants(user.id, upload_key) == "stale"
    db.session.commit()
    assert _stored(storage, user.id) == []
    db.session.refresh(user)
    assert user.profile_image is None


def test_an_upload_that_cannot_be_decoded_falls_back(storage, make_user):
    user = make_user()
    key = f"{avatars.prefix(user.id)}upload-broken"
    storage.put(key, png_header(10, 10), "application/octet-stream")
    user.profile_image_upload_key, user.profile_image_status = key, AvatarStatus.PROCESSING
    db.session.commit()
    assert avatars.make_variants(user.id, key) == "unreadable"
    db.session.commit()
    assert user.profile_image is None and _stored(storage, user.id) == []


# ---- what is refused


@pytest.mark.parametrize(
    ("data", "name", "status"),
    [
        (b"just some text, not an image", "me.png", 415),
        (b"GIF89a" + b"\x00" * 100, "me.gif", 415),
        (photo_jpeg()[:200], "me.jpg", 415),  # a JPEG cut short
        (png_header(30000, 30000), "bomb.png", 422),  # 900 megapixels declared in 57 bytes
        (png_header(8000, 5001), "big.png", 422),  # just over 40 megapixels
    ],
)
def test_refused_uploads(storage, client, make_user, login, data, name, status):
    user = make_user()
    response = _put(client, "me", data, login(user), name, "image/png")
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "file" in response.get_json()["errors"]["files"]
    db.session.refresh(user)
    assert user.profile_image_status is None and _stored(storage, user.id) == []


def test_a_gif_is_refused_by_content(storage, client, make_user, login):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    assert _put(client, "me", out.getvalue(), login(make_user()), "me.png", "image/png").status_code == 415


def test_more_than_5_mb_is_413(storage, client, make_user, login):
    data = png_header(100, 100) + b"\x00" * (5 * 1024 * 1024)
    assert _put(client, "me", data, login(make_user())).status_code == 413
    body = b"\x00" * (7 * 1024 * 1024)  # over the request limit itself
    assert _put(client, "me", body, login(make_user())).status_code == 413


def test_the_file_field_is_required(storage, client, make_user, login):
    response = client.put(
        "/api/users/me/avatar", data={}, headers=login(make_user()), content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]["files"]


# ---- who may change an avatar


@pytest.mark.parametrize(
    ("actor", "status"), [("self", 200), ("owner", 200), ("trainer", 403), ("stranger", 403), ("anonymous", 401)]
)
def test_upload_permissions(storage, client, make_user, login, owner, actor, status):
    from tests.factories import make_coaching

    target, trainer = make_user(), make_user(role="Trainer")
    make_coaching(trainer, target)
    who = {"self": target, "owner": owner, "trainer": trainer, "stranger": make_user(), "anonymous": None}[actor]
    headers = login(who) if who else {}
    assert _put(client, target.id, photo_jpeg(), headers).status_code == status
    assert client.delete(f"/api/users/{target.id}/avatar", headers=headers).status_code == (
        204 if status == 200 else status
    )


def test_an_unknown_user_is_404(storage, client, make_user, login):
    headers = login(make_user())
    assert _put(client, 999999, photo_jpeg(), headers).status_code == 404
    assert client.delete("/api/users/999999/avatar", headers=headers).status_code == 404


@pytest.mark.live
@pytest.mark.parametrize("storage", ["s3"], indirect=True)
def test_a_real_worker_makes_the_variants(storage, client, make_user, login, celery_worker):
    user = make_user()
    headers = login(user)
    assert _put(client, "me", photo_jpeg(), headers).status_code == 200
    image = wait_for(
        lambda: (
            (p := client.get("/api/users/me", headers=headers).get_json()["profile_image"])["status"] == "ready" and p
        ),
        timeout=30,
    )
    assert requests.get(image["thumb_url"], timeout=10).status_code == 200
    assert len(_stored(storage, user.id)) == 2
