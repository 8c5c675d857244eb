"""Checks uploaded photos with Pillow and makes their thumbnails.

A photo is accepted only if Pillow can read it as JPEG, PNG or WebP, it is not larger than
LOGISTICS_PHOTO_MAX_BYTES and its pixel count stays below Pillow's decompression-bomb limit.
The declared content type and file name are not trusted.
"""

import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from logistics.conf import photo_max_bytes
from logistics.exceptions import PhotoRejected

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (320, 320)
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedPhoto:
    image: ContentFile
    thumbnail: ContentFile


def photo_check(upload: UploadedFile) -> CheckedPhoto:
    """The photo and its JPEG thumbnail, or PhotoRejected with a reason a person can act on."""
    limit = photo_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise PhotoRejected(
            _("The photo is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)}
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PhotoRejected(
            _("The photo is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)}
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
        if image_format not in ALLOWED_FORMATS:
            raise PhotoRejected(_("Upload a JPEG, PNG or WebP photo."))
        if width * height > MAX_PIXELS:
            raise PhotoRejected(_("The photo has too many pixels."))
        # verify() leaves the image unusable: open it again to draw the thumbnail.
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            thumb = image.convert("RGB")
            buffer = io.BytesIO()
            thumb.save(buffer, format="JPEG", quality=82)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRejected(_("This file is not a photo we can read.")) from None
    base = (upload.name or "photo").rsplit("/", 1)[-1].rsplit(".", 1)[0][:60] or "photo"
    return CheckedPhoto(
        image=ContentFile(data, name=f"{base}.{ALLOWED_FORMATS[image_format]}"),
        thumbnail=ContentFile(buffer.getvalue(), name=f"{base}-thumb.jpg"),
    )
