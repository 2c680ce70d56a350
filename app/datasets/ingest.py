"""Uploaded files -> normalised square RGB images (Pillow and zipfile only, no HTTP).

Every image is decoded by content (never by extension), composited on white, converted to RGB,
centre-cropped to a square and resized with LANCZOS (models.datasets.square_resize). Exact duplicates and non-images are reported,
not fatal; anything too large is fatal, checked before decoding or extracting.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from models.datasets import square_resize

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")  # GIF and WebP: the first frame
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive
ZIP_CONTENT_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
JUNK_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}  # skipped silently, like dotfiles
WHITE = (255, 255, 255, 255)


class IngestError(Exception):
    """The upload as a whole cannot become a dataset; `code` says why."""

    code = "invalid_upload"

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        self.details = details


class TooLarge(IngestError):
    code = "too_large"


class InvalidArchive(IngestError):
    code = "invalid_archive"


class NoImages(IngestError):
    code = "no_images"


class UnsupportedMediaType(IngestError):
    code = "unsupported_media_type"


class _Rejected(Exception):
    """One file is skipped; the reason goes into the dataset's `rejected` list."""


@dataclass(frozen=True)
class Limits:
    max_images: int
    max_image_pixels: int
    max_extracted_bytes: int  # declared uncompressed size of all zip members together


@dataclass
class Upload:
    filename: str
    file: BinaryIO  # seekable
    content_type: str | None = None


@dataclass
class _Ingest:
    resolution: int
    limits: Limits
    save: Callable[[Image.Image], None]
    rejected: list[dict] = field(default_factory=list)
    seen: set[bytes] = field(default_factory=set)
    accepted: int = 0
    extracted_bytes: int = 0

    def add(self, name: str, fp: BinaryIO) -> str | None:
        """Process one file; return why it was rejected, or None when it was kept."""
        try:
            image = decode_image(fp, self.limits.max_image_pixels)
        except _Rejected as exc:
            return self.reject(name, str(exc))
        digest = pixel_digest(image)
        if digest in self.seen:
            return self.reject(name, "duplicate")
        self.seen.add(digest)
        self.accepted += 1
        if self.accepted > self.limits.max_images:
            raise TooLarge(f"More than {self.limits.max_images} images in one dataset.")
        self.save(square_resize(image, self.resolution))
        return None

    def reject(self, name: str, reason: str) -> str:
        self.rejected.append({"file": name, "reason": reason})
        return reason

    def add_archive(self, upload: Upload) -> None:
        for name, data in self._members(upload):
            if isinstance(data, bytes):
                self.add(name, io.BytesIO(data))
            else:
                self.reject(name, data)

    def _members(self, upload: Upload) -> Iterator[tuple[str, bytes | str]]:
        """(name, bytes) per candidate member, or (name, reason) when it cannot be extracted."""
        try:
            upload.file.seek(0)
            archive = zipfile.ZipFile(upload.file)
            members = [m for m in archive.infolist() if not m.is_dir() and not is_junk(m.filename)]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise InvalidArchive(f"{upload.filename} is not a readable zip archive ({exc}).") from exc
        if len(members) > self.limits.max_images:
            raise TooLarge(f"{upload.filename} holds {len(members)} files; the limit is {self.limits.max_images}.")
        # Zip bombs: refuse on the declared sizes before inflating anything; zipfile then stops
        # each member at its declared size and checks its CRC.
        self.extracted_bytes += sum(m.file_size for m in members)
        if self.extracted_bytes > self.limits.max_extracted_bytes:
            raise TooLarge(f"The archives unpack to more than {self.limits.max_extracted_bytes} bytes.")
        with archive:
            for member in members:
                if member.flag_bits & 0x1:
                    yield member.filename, "encrypted"
                    continue
                try:
                    yield member.filename, archive.read(member)
                # zipfile raises NotImplementedError for a compression method it cannot read
                except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError):
                    yield member.filename, "corrupt_archive_entry"


def ingest(
    uploads: list[Upload], *, resolution: int, limits: Limits, save: Callable[[Image.Image], None]
) -> list[dict]:
    """Hand every usable image, processed, to `save` in upload order; return the rejected files."""
    state = _Ingest(resolution, limits, save)
    for upload in uploads:
        if is_zip(upload.file):
            state.add_archive(upload)
            continue
        upload.file.seek(0)
        reason = state.add(upload.filename, upload.file)
        if reason not in (None, "duplicate"):
            _check_loose_file(upload, reason, alone=len(uploads) == 1)
    if state.accepted == 0:
        raise NoImages("The upload holds no usable images.", {"rejected": state.rejected})
    return state.rejected


def _check_loose_file(upload: Upload, reason: str, *, alone: bool) -> None:
    """A file that is neither image nor zip is fatal when it claims to be the archive or is all there is."""
    claims_zip = upload.filename.lower().endswith(".zip") or upload.content_type in ZIP_CONTENT_TYPES
    if claims_zip:
        raise InvalidArchive(f"{upload.filename} is not a zip archive.")
    if alone and reason != "corrupt_image":  # a damaged image is still an image: no_images says so
        allowed = ", ".join(ALLOWED_FORMATS)
        raise UnsupportedMediaType(f"{upload.filename} is neither a zip archive nor an image ({allowed}): {reason}.")


def is_zip(fp: BinaryIO) -> bool:
    fp.seek(0)
    magic = fp.read(4)
    fp.seek(0)
    return magic in ZIP_MAGIC


def is_junk(path: str) -> bool:
    """Resource forks, dotfiles and OS thumbnails that archivers add without asking."""
    return any(part.startswith(".") or part in JUNK_NAMES for part in PurePosixPath(path).parts)


def decode_image(fp: BinaryIO, max_pixels: int) -> Image.Image:
    """Decode one file into an RGB image, alpha composited on white; raise _Rejected or TooLarge."""
    try:
        with Image.open(fp, formats=ALLOWED_FORMATS) as image:
            if image.width * image.height > max_pixels:  # checked on the header, before decoding
                raise TooLarge(f"An image has {image.width}x{image.height} pixels; the limit is {max_pixels}.")
            return to_rgb(ImageOps.exif_transpose(image))  # phone photos store rotation in EXIF
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise _Rejected(_unsupported_reason(fp)) from exc
    except TooLarge:
        raise
    except Exception as exc:  # malformed files make Pillow raise almost anything
        raise _Rejected("corrupt_image") from exc


def _unsupported_reason(fp: BinaryIO) -> str:
    """'unsupported_format: TIFF' when Pillow knows the format but we do not accept it."""
    try:
        fp.seek(0)
        with Image.open(fp) as image:
            return f"unsupported_format: {image.format}"
    except Exception:
        return "not_an_image"


def to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: Pillow's convert would clip
        image = Image.fromarray(np.rint(np.asarray(image, dtype=np.float64) / 257).clip(0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, WHITE)
        white.alpha_composite(image.convert("RGBA"))
        return white.convert("RGB")
    return image.convert("RGB")


def pixel_digest(image: Image.Image) -> bytes:
    """Equal for exactly equal decoded images, whatever their file format."""
    return hashlib.sha256(f"{image.width}x{image.height}:".encode() + image.tobytes()).digest()
