"""Uploaded files -> normalised square RGB images (Pillow and zipfile only, no HTTP).

Every image is decoded by content (never by extension), composited on white, converted to RGB,
centre-cropped to a square and resized with LANCZOS (models.datasets.square_resize). Exact duplicates and non-images are reported,
not fatal; anything too large is fatal, checked before decoding or extracting.

What an upload may cost is bounded whatever its files claim: zip members are inflated a chunk at a
time and stop at the real byte count (per member and in total), byte-identical files are dropped on a
hash of their raw bytes before any decoding, and each upload has a decode budget (pixels from the
image headers, checked before decoding, and CPU seconds).
"""
from __future__ import annotations

import hashlib
import io
import time
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
CHUNK_BYTES = 64 * 1024  # zip members are inflated this much at a time
MAX_NAME_CHARS = 200  # of a file name kept in the `rejected` list


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
    max_extracted_bytes: int  # uncompressed size of all zip members together, declared and real
    max_member_bytes: int = 64 * 1024 * 1024  # real inflated size of one zip member
    max_decode_pixels: int = 2**31  # pixels decoded per upload, summed from the image headers
    max_decode_seconds: float = 120.0  # CPU seconds spent decoding and resizing per upload
    max_rejected_listed: int = 100  # entries of `rejected`; the rest are only counted


@dataclass
class IngestReport:
    rejected: list[dict]  # at most Limits.max_rejected_listed, in upload order
    rejected_omitted: int  # rejected files beyond those


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
    rejected_omitted: int = 0
    seen: set[bytes] = field(default_factory=set)  # digests of raw files and of decoded pixels
    accepted: int = 0
    extracted_bytes: int = 0  # declared sizes of zip members, to refuse a bomb before inflating
    inflated_bytes: int = 0  # bytes really inflated from zip members
    decoded_pixels: int = 0
    decode_seconds: float = 0.0

    def add(self, name: str, fp: BinaryIO) -> str | None:
        """Process one file; return why it was rejected, or None when it was kept."""
        raw = raw_digest(fp)
        if raw in self.seen:  # byte-identical to an earlier file: not decoded again
            return self.reject(name, "duplicate")
        self.seen.add(raw)
        started = time.thread_time()
        try:
            image = decode_image(fp, self.limits.max_image_pixels, self._count_pixels)
        except _Rejected as exc:
            return self.reject(name, str(exc))
        finally:
            self._count_seconds(started)
        digest = pixel_digest(image)
        if digest in self.seen:
            return self.reject(name, "duplicate")
        self.seen.add(digest)
        self.accepted += 1
        if self.accepted > self.limits.max_images:
            raise TooLarge(f"More than {self.limits.max_images} images in one dataset.")
        started = time.thread_time()
        self.save(square_resize(image, self.resolution))
        self._count_seconds(started)
        return None

    def _count_pixels(self, width: int, height: int) -> None:
        """Called with each image's header size, before it is decoded."""
        self.decoded_pixels += width * height
        if self.decoded_pixels > self.limits.max_decode_pixels:
            raise TooLarge(f"The upload's images hold more than {self.limits.max_decode_pixels} pixels in all; "
                           "upload fewer or smaller images.", {"max_decode_pixels": self.limits.max_decode_pixels})

    def _count_seconds(self, started: float) -> None:
        self.decode_seconds += time.thread_time() - started
        if self.decode_seconds > self.limits.max_decode_seconds:
            raise TooLarge(f"Decoding the upload's images took more than {self.limits.max_decode_seconds:g} CPU "
                           "seconds; upload fewer or smaller images.",
                           {"max_decode_seconds": self.limits.max_decode_seconds})

    def reject(self, name: str, reason: str) -> str:
        if len(self.rejected) < self.limits.max_rejected_listed:
            self.rejected.append({"file": _short(name), "reason": reason})
        else:
            self.rejected_omitted += 1
        return reason

    def add_archive(self, upload: Upload) -> None:
        for name, data in self._members(upload):
            if isinstance(data, bytes):
                self.add(name, io.BytesIO(data))
            else:
                self.reject(name, data)

    def _members(self, upload: Upload) -> Iterator[tuple[str, bytes | str]]:
        """(name, bytes) per candidate member, or (name, reason) when it cannot be extracted."""
        # A malformed archive makes zipfile (and zlib under it) raise almost anything: BadZipFile, struct
        # and zlib errors, IndexError for an empty member name, NotImplementedError for an unknown
        # compression method (tools/fuzz_ingest.py found several). Only our own TooLarge gets through.
        try:
            upload.file.seek(0)
            archive = zipfile.ZipFile(upload.file)
            members = [m for m in archive.infolist() if m.filename and not m.is_dir() and not is_junk(m.filename)]
        except Exception as exc:
            raise InvalidArchive(f"{_short(upload.filename)} is not a readable zip archive "
                                 f"({_short(str(exc))}).") from exc
        if len(members) > self.limits.max_images:
            raise TooLarge(f"{_short(upload.filename)} holds {len(members)} files; the limit is {self.limits.max_images}.")
        # Zip bombs: refuse on the declared sizes before inflating anything; then inflate a chunk at a
        # time and count the real bytes, since a forged header can declare anything.
        self.extracted_bytes += sum(m.file_size for m in members)
        if self.extracted_bytes > self.limits.max_extracted_bytes:
            raise TooLarge(f"The archives unpack to more than {self.limits.max_extracted_bytes} bytes.")
        with archive:
            for member in members:
                if member.flag_bits & 0x1:
                    yield member.filename, "encrypted"
                    continue
                try:
                    data = self._inflate(archive, member)
                except TooLarge:
                    raise
                except Exception:
                    yield member.filename, "corrupt_archive_entry"
                    continue
                yield member.filename, data

    def _inflate(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
        """The member's bytes, inflated CHUNK_BYTES at a time, stopping at its real size.

        zipfile stops a member at its declared size and then checks the CRC, but only when read in
        pieces: `ZipFile.read` inflates everything in one call first. The caps are on what really
        comes out, per member and for the whole upload.
        """
        data = bytearray()
        with archive.open(member) as fp:
            while chunk := fp.read(CHUNK_BYTES):
                data += chunk
                self.inflated_bytes += len(chunk)
                if len(data) > self.limits.max_member_bytes:
                    raise TooLarge(f"{_short(member.filename)} unpacks to more than {self.limits.max_member_bytes} "
                                   "bytes.")
                if self.inflated_bytes > self.limits.max_extracted_bytes:
                    raise TooLarge(f"The archives unpack to more than {self.limits.max_extracted_bytes} bytes.")
        return bytes(data)


def ingest(
    uploads: list[Upload], *, resolution: int, limits: Limits, save: Callable[[Image.Image], None]
) -> IngestReport:
    """Hand every usable image, processed, to `save` in upload order; report the rejected files."""
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
        raise NoImages("The upload holds no usable images.",
                       {"rejected": state.rejected, "rejected_omitted": state.rejected_omitted})
    return IngestReport(state.rejected, state.rejected_omitted)


def _check_loose_file(upload: Upload, reason: str, *, alone: bool) -> None:
    """A file that is neither image nor zip is fatal when it claims to be the archive or is all there is."""
    claims_zip = upload.filename.lower().endswith(".zip") or upload.content_type in ZIP_CONTENT_TYPES
    if claims_zip:
        raise InvalidArchive(f"{_short(upload.filename)} is not a zip archive.")
    if alone and reason != "corrupt_image":  # a damaged image is still an image: no_images says so
        allowed = ", ".join(ALLOWED_FORMATS)
        raise UnsupportedMediaType(f"{_short(upload.filename)} is neither a zip archive nor an image ({allowed}): "
                                   f"{reason}.")


def is_zip(fp: BinaryIO) -> bool:
    fp.seek(0)
    magic = fp.read(4)
    fp.seek(0)
    return magic in ZIP_MAGIC


def is_junk(path: str) -> bool:
    """Resource forks, dotfiles and OS thumbnails that archivers add without asking."""
    return any(part.startswith(".") or part in JUNK_NAMES for part in PurePosixPath(path).parts)


def decode_image(fp: BinaryIO, max_pixels: int,
                 on_header: Callable[[int, int], None] | None = None) -> Image.Image:
    """Decode one file into an RGB image, alpha composited on white; raise _Rejected or TooLarge.

    `on_header(width, height)` is called after the header is read and before the pixels are decoded.
    """
    try:
        fp.seek(0)
        with Image.open(fp, formats=ALLOWED_FORMATS) as image:
            if image.width * image.height > max_pixels:  # checked on the header, before decoding
                raise TooLarge(f"An image has {image.width}x{image.height} pixels; the limit is {max_pixels}.")
            if on_header is not None:
                on_header(image.width, image.height)
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


def raw_digest(fp: BinaryIO) -> bytes:
    """SHA-256 of the file's bytes, read in chunks; the file is left at its start."""
    fp.seek(0)
    digest = hashlib.sha256(b"raw:")
    while chunk := fp.read(CHUNK_BYTES):
        digest.update(chunk)
    fp.seek(0)
    return digest.digest()


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS] + "..."


def pixel_digest(image: Image.Image) -> bytes:
    """Equal for exactly equal decoded images, whatever their file format."""
    return hashlib.sha256(f"{image.width}x{image.height}:".encode() + image.tobytes()).digest()
