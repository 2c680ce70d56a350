"""app.datasets.ingest: decoding by content, normalisation, duplicates, rejections and limits."""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from app.datasets.ingest import (
    InvalidArchive,
    Limits,
    NoImages,
    TooLarge,
    UnsupportedMediaType,
    Upload,
    ingest,
    is_junk,
)
from tests.app.factories import distinct_pngs, image_bytes, zip_bytes

LIMITS = Limits(max_images=100, max_image_pixels=512 * 512, max_extracted_bytes=10_000_000)


def run(files: dict[str, bytes], *, resolution: int = 16, limits: Limits = LIMITS, content_type=None):
    """(saved images as arrays, rejected) for uploads given as {filename: bytes}."""
    saved: list[np.ndarray] = []
    uploads = [Upload(name, io.BytesIO(data), content_type) for name, data in files.items()]
    report = ingest(uploads, resolution=resolution, limits=limits, save=lambda im: saved.append(np.asarray(im)))
    return saved, report.rejected


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF"])
def test_each_format_is_decoded_by_content_not_extension(fmt):
    saved, rejected = run({"misleading.txt": image_bytes(fmt, (40, 40), (250, 10, 10))})
    assert rejected == []
    assert saved[0].shape == (16, 16, 3) and saved[0].dtype == np.uint8
    assert saved[0][8, 8, 0] > 200 and saved[0][8, 8, 1] < 60  # still red, whatever the codec did


def test_rgba_is_composited_on_white():
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 0))  # fully transparent red...
    image.putpixel((0, 0), (0, 0, 255, 255))  # ...except one opaque blue pixel
    image.putpixel((1, 0), (0, 0, 0, 128))  # half-transparent black
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    saved, _ = run({"a.png": buffer.getvalue()})
    assert tuple(saved[0][8, 8]) == (255, 255, 255)
    assert tuple(saved[0][0, 0]) == (0, 0, 255)
    assert tuple(saved[0][0, 1]) in {(127, 127, 127), (128, 128, 128)}


def test_gif_first_frame_is_used():
    frames = [Image.new("P", (16, 16), 0), Image.new("P", (16, 16), 1)]
    for frame in frames:
        frame.putpalette([0, 255, 0, 0, 0, 255] + [0] * 762)  # index 0 green, 1 blue
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    saved, _ = run({"anim.gif": buffer.getvalue()})
    assert tuple(saved[0][8, 8]) == (0, 255, 0)


def test_centre_crop_then_resize():
    image = Image.new("RGB", (60, 20), (255, 0, 0))  # red margins, a green 20x20 square in the middle
    image.paste((0, 255, 0), (20, 0, 40, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    saved, _ = run({"wide.png": buffer.getvalue()}, resolution=32)
    assert saved[0].shape == (32, 32, 3)
    assert (saved[0] == (0, 255, 0)).all()


def test_sixteen_bit_grey_is_scaled_not_clipped():
    grey = Image.fromarray(np.full((16, 16), 32768, np.uint16))
    buffer = io.BytesIO()
    grey.save(buffer, "PNG")
    saved, _ = run({"grey16.png": buffer.getvalue()})
    assert 120 <= saved[0][0, 0, 0] <= 135


def test_exact_duplicates_are_dropped_even_across_formats():
    png, bmp = image_bytes("PNG", color=(1, 2, 3)), image_bytes("BMP", color=(1, 2, 3))
    saved, rejected = run({"a.png": png, "b.png": png, "c.bmp": bmp, "d.png": image_bytes(color=(9, 9, 9))})
    assert len(saved) == 2
    assert rejected == [{"file": "b.png", "reason": "duplicate"}, {"file": "c.bmp", "reason": "duplicate"}]


def test_zip_members_are_processed_and_junk_skipped_silently():
    pngs = distinct_pngs(3)
    archive = zip_bytes({
        "set/a.png": pngs[0], "set/b.png": pngs[1], "set/deeper/c.png": pngs[2],
        "set/notes.txt": b"hello", "set/.DS_Store": b"x", "__MACOSX/set/._a.png": b"x", "set/Thumbs.db": b"x",
        "set/tiff.tif": image_bytes("TIFF"),
    })
    saved, rejected = run({"set.zip": archive})
    assert len(saved) == 3
    assert rejected == [
        {"file": "set/notes.txt", "reason": "not_an_image"},
        {"file": "set/tiff.tif", "reason": "unsupported_format: TIFF"},
    ]


def test_is_junk():
    assert is_junk("__MACOSX/a.png") and is_junk("a/.hidden.png") and is_junk(".git/x")
    assert not is_junk("a/b.png")


def test_lone_non_image_is_unsupported_media_type():
    with pytest.raises(UnsupportedMediaType):
        run({"notes.txt": b"just text"})


def test_non_zip_claiming_to_be_zip_is_invalid_archive():
    with pytest.raises(InvalidArchive):
        run({"set.zip": b"not a zip at all"})


def test_corrupt_zip_is_invalid_archive():
    data = zip_bytes({"a.png": image_bytes()})
    with pytest.raises(InvalidArchive):
        run({"upload.bin": data[:30]})  # starts like a zip, central directory missing


def test_zip_without_images_is_no_images():
    with pytest.raises(NoImages) as caught:
        run({"set.zip": zip_bytes({"a.txt": b"x", "b.csv": b"1,2"})})
    assert len(caught.value.details["rejected"]) == 2


def test_truncated_lone_image_is_no_images_not_unsupported():
    with pytest.raises(NoImages):
        run({"a.png": image_bytes(size=(64, 64))[:60]})


def test_too_many_pixels_is_too_large_before_decoding():
    small_limit = Limits(max_images=10, max_image_pixels=20 * 20, max_extracted_bytes=10_000_000)
    with pytest.raises(TooLarge):
        run({"big.png": image_bytes(size=(21, 20))}, limits=small_limit)


def test_too_many_images_is_too_large():
    with pytest.raises(TooLarge):
        run({"set.zip": zip_bytes({f"{i}.png": d for i, d in enumerate(distinct_pngs(4))})},
            limits=Limits(max_images=3, max_image_pixels=10_000, max_extracted_bytes=10_000_000))


def test_zip_bomb_is_refused_on_declared_sizes():
    bomb = zip_bytes({"zeros.png": b"\0" * 5_000_000})  # deflates to a few KB
    assert len(bomb) < 50_000
    with pytest.raises(TooLarge):
        run({"bomb.zip": bomb}, limits=Limits(max_images=10, max_image_pixels=10_000, max_extracted_bytes=1_000_000))


def test_member_larger_than_declared_is_rejected_not_inflated():
    data = zip_bytes({"a.png": image_bytes(size=(64, 64)), "b.png": image_bytes(color=(1, 1, 1))})
    # Lie in the central directory: a.png claims 10 bytes; zipfile stops there and the CRC fails.
    patched = bytearray(data)
    central = patched.find(b"PK\x01\x02")
    struct.pack_into("<I", patched, central + 24, 10)
    saved, rejected = run({"set.zip": bytes(patched)})
    assert len(saved) == 1
    assert rejected == [{"file": "a.png", "reason": "corrupt_archive_entry"}]
