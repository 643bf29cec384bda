"""Avatars: an upload is checked by its content and kept as a temporary object; a worker makes WebP variants.

The upload is refused before any pixel is decoded when it is too large (413), not a JPEG, PNG or WebP by its
content (415), or declares too many pixels in its header (422). The worker (`make_variants`) applies the EXIF
orientation, drops every piece of metadata but the colour profile, and stores 512 px and 128 px square WebP
variants under content-addressed keys (`avatars/<user id>/<sha256>-512.webp`, cacheable forever); then the
previous variants and the temporary upload are deleted. A retried job makes the same bytes, hence the same keys.
"""

from __future__ import annotations

import hashlib
import io

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.accounts import policy
from app.accounts.models import AvatarStatus, User
from app.core.errors import Forbidden, Invalid, PayloadTooLarge, UnsupportedMediaType
from app.core.security import new_token
from app.core.storage import IMMUTABLE, StorageError, get_storage, read_all
from app.core.unit_of_work import after_commit
from app.extensions import db

FORMATS = ("JPEG", "PNG", "WEBP")
SIZES = (512, 128)
UPLOAD_PART = "upload-"

# Pillow is imported where images are read (an upload's check, the worker's variants), not when the app loads:
# most processes never touch an image and it costs each ~2 MB of memory (bench/RESULTS.md, "Data export").


def unreadable() -> tuple[type[Exception], ...]:
    """The errors that mean an image cannot be read (Pillow's own among them)."""
    from PIL import Image, UnidentifiedImageError

    return (OSError, ValueError, SyntaxError, EOFError, UnidentifiedImageError, Image.DecompressionBombError)


def prefix(user_id: int) -> str:
    """The storage prefix that holds everything of one user's avatar."""
    return f"avatars/{user_id}/"


def upload(actor: User, user: User, file: FileStorage) -> User:
    """Check an upload, store it as a temporary object and have a worker make its variants."""
    if not policy.can_edit_user(actor, user):
        raise Forbidden("Only you or an Owner may change your avatar.")
    data = _read_limited(file)
    check_image(data)
    key = f"{prefix(user.id)}{UPLOAD_PART}{new_token(16)}"
    get_storage().put(key, data, "application/octet-stream")
    superseded = user.profile_image_upload_key
    user.profile_image_upload_key = key
    user.profile_image_status = AvatarStatus.PROCESSING
    db.session.flush()
    celery = current_app.extensions["celery"]
    user_id = user.id
    after_commit(db.session, lambda: celery.send_task("accounts.make_avatar_variants", args=[user_id, key]))
    if superseded:
        after_commit(db.session, lambda: get_storage().delete(superseded))
    return user


def remove(actor: User, user: User) -> None:
    """Delete a user's avatar: every object under their prefix goes once the change is committed."""
    if not policy.can_edit_user(actor, user):
        raise Forbidden("Only you or an Owner may change your avatar.")
    user.profile_image_key = user.profile_image_thumb_key = user.profile_image_upload_key = None
    user.profile_image_status = None
    db.session.flush()
    store, where = get_storage(), prefix(user.id)
    after_commit(db.session, lambda: store.delete_prefix(where))


def _read_limited(file: FileStorage) -> bytes:
    limit = current_app.config["AVATAR_MAX_BYTES"]
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"An avatar may be at most {limit // (1024 * 1024)} MB.")
    return data


def check_image(data: bytes) -> None:
    """Refuse what is not a JPEG, PNG or WebP by content (415) or declares too many pixels (422), undecoded."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)  # reads the header only
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except unreadable():
        raise UnsupportedMediaType("The file is not a JPEG, PNG or WebP image.") from None
    with image:
        if image.width * image.height > current_app.config["AVATAR_MAX_PIXELS"]:
            raise _too_many_pixels()
        try:
            image.verify()  # the container's structure and checksums, still without decoding pixels
        except unreadable():
            raise UnsupportedMediaType("The image is damaged or unreadable.") from None


def _too_many_pixels() -> Invalid:
    limit = current_app.config["AVATAR_MAX_PIXELS"] / 1_000_000
    return Invalid(f"An avatar may have at most {limit:g} megapixels.", field="file", location="files")


def render_variants(data: bytes) -> dict[int, bytes]:
    """Decode the first frame, apply its EXIF orientation and encode square WebP variants with only its ICC profile."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data), formats=FORMATS) as source:
        if source.width * source.height > current_app.config["AVATAR_MAX_PIXELS"]:
            raise ValueError("too many pixels")
        source.seek(0)
        source.draft("RGB", (SIZES[0], SIZES[0]))  # a JPEG decodes at the smallest scale still >= 512 px a side
        icc_profile = source.info.get("icc_profile")
        image = ImageOps.exif_transpose(source)
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB")
    variants = {}
    for size in SIZES:
        variant = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
        variant.info = {}
        out = io.BytesIO()
        options = {"icc_profile": icc_profile} if icc_profile else {}
        variant.save(out, "WEBP", quality=85, method=4, **options)
        variants[size] = out.getvalue()
    return variants


def variant_key(user_id: int, size: int, data: bytes) -> str:
    """The content-addressed key of a variant."""
    return f"{prefix(user_id)}{hashlib.sha256(data).hexdigest()[:40]}-{size}.webp"


def make_variants(user_id: int, upload_key: str) -> str:
    """Turn a pending upload into variants (the worker's job); say what happened.

    The user's row is locked while the variants are stored and the old ones swept, so two jobs never sweep each
    other's fresh objects; the upload itself is deleted once the new keys are committed. A job whose upload is
    no longer the pending one (replaced, removed, or already done by an earlier run) only deletes that upload.
    """
    store = get_storage()
    locked = select(User).where(User.id == user_id).with_for_update(of=User).execution_options(populate_existing=True)
    user = db.session.execute(locked).scalar_one_or_none()
    if user is None or user.profile_image_upload_key != upload_key:
        store.delete(upload_key)
        return "stale"
    try:
        variants = render_variants(read_all(store.open(upload_key)))
    except (StorageError, *unreadable()):
        _give_up(user, upload_key)
        return "unreadable"
    keys = {size: variant_key(user_id, size, data) for size, data in variants.items()}
    for size, data in variants.items():
        store.put(keys[size], data, "image/webp", IMMUTABLE)
    user.profile_image_key, user.profile_image_thumb_key = keys[512], keys[128]
    user.profile_image_upload_key = None
    user.profile_image_status = AvatarStatus.READY
    db.session.flush()
    _sweep(user_id, keep={*keys.values(), upload_key})
    after_commit(db.session, lambda: store.delete(upload_key))
    return "ready"


def _give_up(user: User, upload_key: str) -> None:
    """An upload that cannot be decoded after all: back to the previous avatar (or none)."""
    user.profile_image_upload_key = None
    user.profile_image_status = AvatarStatus.READY if user.profile_image_key else None
    db.session.flush()
    store = get_storage()
    after_commit(db.session, lambda: store.delete(upload_key))


def _sweep(user_id: int, keep: set[str]) -> None:
    """Delete the user's variants that are not kept; uploads (a newer one may be on its way) are left alone."""
    store = get_storage()
    for key in store.list(prefix(user_id)):
        if key not in keep and not key.rsplit("/", 1)[-1].startswith(UPLOAD_PART):
            store.delete(key)
