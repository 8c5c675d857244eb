"""Checks and names for uploaded files: licences, product and inspection photos."""

import uuid
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

LICENCE_MAX_BYTES = 10 * 1024 * 1024
LICENCE_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png"}
IMAGE_MAX_BYTES = 8 * 1024 * 1024
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
CATEGORY_MAX_DEPTH = 2  # roots are depth 0, so three levels


@deconstructible
class GeneratedName:
    """Stores an upload under `<prefix>/<uuid><ext>`: never the name a user sent."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self, instance, filename: str) -> str:
        ext = PurePosixPath(filename).suffix.lower()
        return f"{self.prefix}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other) -> bool:
        return isinstance(other, GeneratedName) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


_IMAGE_FORMATS = {
    ".jpg": {"JPEG", "MPO"},
    ".jpeg": {"JPEG", "MPO"},
    ".png": {"PNG"},
    ".webp": {"WEBP"},
    ".gif": {"GIF"},
}


def _content_matches(value, ext: str) -> bool:
    """Whether the bytes are what the extension claims: an image that Pillow reads as that
    format, or a PDF that starts with its signature. Other extensions are not sniffed."""
    if ext not in _IMAGE_FORMATS and ext != ".pdf":
        return True
    try:
        value.seek(0)
        head = value.read(5) if ext == ".pdf" else None
        if ext == ".pdf":
            return head == b"%PDF-"
        value.seek(0)
        with Image.open(value) as image:
            image_format = image.format
            image.verify()
        return image_format in _IMAGE_FORMATS[ext]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    finally:
        value.seek(0)


@deconstructible
class UploadCheck:
    """Refuses an upload whose extension is not allowed or which is too large."""

    def __init__(self, extensions: set[str] | frozenset[str] | list[str], max_bytes: int):
        self.extensions = sorted(extensions)
        self.max_bytes = max_bytes

    def __call__(self, value) -> None:
        ext = PurePosixPath(value.name).suffix.lower()
        if ext not in self.extensions:
            raise ValidationError(
                _("Upload a %(allowed)s file; “%(ext)s” is not accepted."),
                code="file_type",
                params={"allowed": ", ".join(self.extensions), "ext": ext or "?"},
            )
        if value.size is not None and value.size > self.max_bytes:
            raise ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB."),
                code="file_size",
                params={
                    "size": round(value.size / 1024 / 1024, 1),
                    "limit": self.max_bytes // 1024 // 1024,
                },
            )
        if not _content_matches(value, ext):
            message = (
                _("The file is not a PDF document.")
                if ext == ".pdf"
                else _("The file is not an image of the kind its name says (%(ext)s).")
            )
            raise ValidationError(message, code="file_content", params={"ext": ext})

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, UploadCheck)
            and other.extensions == self.extensions
            and other.max_bytes == self.max_bytes
        )

    def __hash__(self) -> int:
        return hash((tuple(self.extensions), self.max_bytes))
